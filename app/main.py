"""The FastAPI application factory and its lifespan (one Neo4j driver per process)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from app import ui
from app.api import errors, limits, metrics, observability, openapi
from app.api.routes import (
    audit,
    changes,
    customers,
    explain,
    health,
    identifiers,
    lookup,
    match_model,
    overrides,
    records,
    webhooks,
)
from app.api.routes import consent as consent_routes
from app.api.routes import review as review_routes
from app.api.routes import session as session_routes
from app.api.routes import what_if as what_if_routes
from app.audit import http as audit_http
from app.core.config import Settings, get_settings
from app.core.errors import IdgraphError, InvalidInputError
from app.core.security import ApiKeys
from app.privacy.retention import periodic as periodic_retention
from app.store.driver import apply_schema, create_async_driver, create_driver
from app.webhooks import delivery

log = logging.getLogger("idgraph")


def freeze_startup_objects() -> None:
    """Take what start-up built out of the cyclic garbage collector's reach.

    Modules, routes, pydantic models and drivers are ~170,000 objects that live as long as
    the process. Under 200 lookups/s, Python ran a full collection every few seconds,
    walking all of them with the event loop stopped: 30-200 ms during which every lookup
    waited (the lookups' p99 on the bench). ``gc.freeze`` moves them to a permanent
    generation that collections skip; what requests allocate is collected as before. The
    lifespan hands them back (``gc.unfreeze``) when the app stops, so a process that starts
    apps again and again (the tests) does not keep their garbage.
    """
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API. ``uvicorn --factory app.main:create_app`` serves it."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.api_keys = ApiKeys.parse(settings.api_keys)
        if not app.state.api_keys.entries:
            log.warning("IDGRAPH_API_KEYS is empty: every /v1 request will be refused (401)")
        app.state.driver = None
        app.state.async_driver = None
        app.state.schema_ready = False
        app.state.startup_error = None
        try:
            app.state.driver = create_driver(settings)
            app.state.async_driver = create_async_driver(settings)
        except IdgraphError as exc:
            app.state.startup_error = exc.message
            log.error("no Neo4j driver: %s", exc.message)
        if app.state.driver is not None:
            try:
                app.state.driver.verify_connectivity()
                apply_schema(app.state.driver, settings.neo4j_database)
                app.state.schema_ready = True
            except Exception as exc:  # Neo4j down at start: stay up, /readyz says why
                app.state.startup_error = f"{type(exc).__name__}: {exc}"
                log.warning("Neo4j not ready at startup (%s); /readyz will retry", exc)
        app.state.webhooks = None
        if settings.webhook_delivery and app.state.driver is not None:
            app.state.webhooks = delivery.start(app.state.driver, settings)
        app.state.retention = None
        try:
            if app.state.driver is not None:  # a bad rule stops the start, naming it
                app.state.retention = periodic_retention.start(app.state.driver, settings)
            freeze_startup_objects()
            yield
        finally:
            gc.unfreeze()
            if app.state.retention is not None:
                await app.state.retention.stop()
            if app.state.webhooks is not None:
                await app.state.webhooks.stop()
            if app.state.async_driver is not None:
                await app.state.async_driver.close()
            if app.state.driver is not None:
                app.state.driver.close()

    app = FastAPI(
        title="idgraph",
        version="0.1.0",
        summary="Customer identity resolution on a Neo4j identity graph.",
        lifespan=lifespan,
    )
    limits.install(app, settings)  # before the logging middleware, so 413s are logged
    audit_http.install(app)  # inside the logging middleware: it reads the request's key
    observability.install(app)
    app.include_router(health.router)
    app.include_router(records.router, prefix="/v1")
    app.include_router(lookup.router, prefix="/v1")
    app.include_router(customers.router, prefix="/v1")
    app.include_router(overrides.router, prefix="/v1")
    app.include_router(explain.router, prefix="/v1")
    app.include_router(identifiers.router, prefix="/v1")
    app.include_router(match_model.router, prefix="/v1")
    app.include_router(session_routes.router, prefix="/v1")
    app.include_router(what_if_routes.router, prefix="/v1")
    app.include_router(review_routes.router, prefix="/v1")
    app.include_router(consent_routes.router, prefix="/v1")
    ui.install(app)  # the analysts' pages (/ui) and their assets
    app.include_router(changes.router, prefix="/v1")
    app.include_router(webhooks.router, prefix="/v1")
    app.include_router(audit.router, prefix="/v1")
    metrics.install(app, settings)  # GET /metrics and the request metrics middleware
    openapi.install(app)  # 401/403/413/429/500/503 documented on every operation

    @app.exception_handler(InvalidInputError)
    async def _invalid(request: Request, exc: InvalidInputError) -> JSONResponse:
        return JSONResponse({"detail": errors.validation_detail(request, exc)}, 422)

    @app.exception_handler(IdgraphError)
    async def _idgraph(_: Request, exc: IdgraphError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse({"detail": exc.message}, exc.status_code, headers=headers)

    @app.exception_handler(ServiceUnavailable)
    @app.exception_handler(SessionExpired)
    async def _unavailable(_: Request, exc: Neo4jError) -> JSONResponse:
        return JSONResponse({"detail": f"Neo4j is unavailable: {exc}"}, 503)

    _ = RequestValidationError  # FastAPI's own 422 handler names each bad field
    return app
