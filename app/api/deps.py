"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings
from app.core.errors import StoreUnavailableError
from app.engine.service import IdentityService
from app.store.graph_store import GraphStore


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> GraphStore:
    driver = request.app.state.driver
    if driver is None:
        raise StoreUnavailableError(f"Neo4j is not configured: {request.app.state.startup_error}")
    return GraphStore(driver, request.app.state.settings.neo4j_database)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[GraphStore, Depends(get_store)]


def get_service(store: StoreDep, settings: SettingsDep) -> IdentityService:
    return IdentityService(store, settings)


ServiceDep = Annotated[IdentityService, Depends(get_service)]
