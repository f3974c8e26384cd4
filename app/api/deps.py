"""FastAPI dependencies as ``Annotated`` aliases.

They do no I/O, so they are ``async def``: FastAPI runs a plain ``def`` dependency in its
thread pool, and each such hop costs more CPU than the lookup query itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.limits import rate_limit
from app.api.observability import current_request, key_id
from app.bootstrap import Services
from app.changes.feed import ChangeFeed
from app.core.config import Settings
from app.core.errors import StoreUnavailableError
from app.core.security import ApiKeys, AuthenticationError, PermissionDeniedError, Role
from app.engine.core import Engine
from app.ingest.service import IngestService
from app.model_lifecycle.service import ModelLifecycle
from app.overrides.service import OverrideService
from app.privacy.consent.service import ConsentService
from app.privacy.erasure import ErasureService
from app.privacy.export import ExportService
from app.reads.customers import CustomerReads
from app.reads.explain import ExplainService
from app.reads.lookup import LookupService
from app.store.changes import Neo4jFeedStore
from app.store.graph_store import GraphStore
from app.store.webhooks import Neo4jWebhookStore
from app.webhooks.service import WebhookService

T = TypeVar("T")


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> GraphStore:
    driver = request.app.state.driver
    if driver is None:
        raise StoreUnavailableError(f"Neo4j is not configured: {request.app.state.startup_error}")
    store: GraphStore | None = getattr(request.app.state, "store", None)
    if store is None:
        store = request.app.state.store = GraphStore(
            driver,
            request.app.state.settings.neo4j_database,
            getattr(request.app.state, "async_driver", None),
        )
    return store


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[GraphStore, Depends(get_store)]


async def get_services(request: Request, store: StoreDep, settings: SettingsDep) -> Services:
    # Stateless and cheap to share: built once per process, not per request.
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        services = request.app.state.services = Services.over(store, settings)
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def _feature(pick: Callable[[Services], T]) -> Any:
    """A dependency answering one feature service of the process's :class:`Services`."""

    async def get(services: ServicesDep) -> T:
        return pick(services)

    return Depends(get)


EngineDep = Annotated[Engine, _feature(lambda s: s.engine)]
IngestDep = Annotated[IngestService, _feature(lambda s: s.ingestion)]
ErasureDep = Annotated[ErasureService, _feature(lambda s: s.erasure)]
OverridesDep = Annotated[OverrideService, _feature(lambda s: s.overrides)]
ModelsDep = Annotated[ModelLifecycle, _feature(lambda s: s.models)]
LookupsDep = Annotated[LookupService, _feature(lambda s: s.lookups)]
CustomersDep = Annotated[CustomerReads, _feature(lambda s: s.customers)]
ExplainDep = Annotated[ExplainService, _feature(lambda s: s.explanations)]
ExportDep = Annotated[ExportService, _feature(lambda s: s.exports)]
ConsentDep = Annotated[ConsentService, _feature(lambda s: s.consent)]


async def get_feed(store: StoreDep) -> ChangeFeed:
    return ChangeFeed(Neo4jFeedStore(store))


FeedDep = Annotated[ChangeFeed, Depends(get_feed)]


async def get_webhooks(store: StoreDep, feed: FeedDep) -> WebhookService:
    return WebhookService(Neo4jWebhookStore(store), feed)


WebhooksDep = Annotated[WebhookService, Depends(get_webhooks)]


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`")


def _authorise(
    request: Request, credentials: HTTPAuthorizationCredentials | None, need: Role
) -> Role:
    keys: ApiKeys = request.app.state.api_keys
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("missing API key: send `Authorization: Bearer <key>`")
    role = keys.role_of(credentials.credentials)
    if role is None:
        raise AuthenticationError("invalid API key")
    digest = hashlib.sha256(credentials.credentials.encode()).digest()
    context = current_request()
    if context is not None:  # the access log names the key by its hash, never the key
        context.api_key = key_id(digest)
        context.role = role.name.lower()
    rate_limit(request, digest)  # 429 with Retry-After once the key is over its limit
    if role < need:
        raise PermissionDeniedError(
            f"this key has role {role.name.lower()}; this needs {need.name.lower()}"
        )
    return role


def require(need: Role) -> Callable[..., Awaitable[Role]]:
    """A dependency that lets through keys with role ``need`` or higher."""

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Role:
        return _authorise(request, credentials, need)

    return check


ReaderDep = Annotated[Role, Depends(require(Role.READER))]
WriterDep = Annotated[Role, Depends(require(Role.WRITER))]
AdminDep = Annotated[Role, Depends(require(Role.ADMIN))]
