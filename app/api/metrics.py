"""``GET /metrics`` (Prometheus text format) and the middleware that times every request.

The route is left out of the OpenAPI document: it is for Prometheus, not for API clients
(README, "Metrics"). With ``IDGRAPH_METRICS_PUBLIC=false`` (the default) a scrape needs a
key with role reader or higher, like any /v1 read.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from neo4j.exceptions import DriverError, Neo4jError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import get_store, require
from app.api.routing import route_template
from app.core import metrics
from app.core.config import Settings
from app.core.errors import IdgraphError
from app.core.security import Role
from app.store.webhooks import Neo4jWebhookStore
from graph_models.identifiers import RECORD_KIND, BuiltinKind

log = logging.getLogger("idgraph")


class MetricsMiddleware:
    """Counts and times each HTTP request by route template (``/v1/customers/{customer_id}``,
    never the raw path), method and status. Pure ASGI: it does not buffer bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # an exception that escapes the app becomes a 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            labels = {
                "route": route_template(scope),
                "method": scope["method"],
                "status": str(status),
            }
            metrics.HTTP_REQUESTS.labels(**labels).inc()
            metrics.HTTP_LATENCY.labels(**labels).observe(time.perf_counter() - started)


def _shared_kinds(settings: Settings) -> list[str]:
    return sorted({*(k.value for k in BuiltinKind), RECORD_KIND, *settings.extra_kinds})


async def _refresh_shared(request: Request) -> None:
    """Set the shared-identifiers gauge from Neo4j. A failure leaves the gauge as it was
    and is counted: the scrape still answers, so the other metrics (and the Neo4j error
    count itself) stay visible while Neo4j is down."""
    try:
        store = await get_store(request)
        settings: Settings = request.app.state.settings
        shared = await anyio.to_thread.run_sync(store.count_shared, _shared_kinds(settings))
    except (IdgraphError, Neo4jError, DriverError) as exc:
        log.warning("metrics: shared identifiers not counted (%s)", type(exc).__name__)
        return
    metrics.SHARED_IDENTIFIERS.set(shared)


async def _refresh_webhook_lag(request: Request) -> None:
    """Set the webhook lag gauges from the subscriptions stored in Neo4j (any process can
    answer: the cursors live in the graph). Subscriptions deleted since the last scrape
    lose their series. A failure leaves the gauges as they were, as for shared identifiers."""
    try:
        store = await get_store(request)
        rows = await anyio.to_thread.run_sync(Neo4jWebhookStore(store).status)
    except (IdgraphError, Neo4jError, DriverError) as exc:
        log.warning("metrics: webhook lag not read (%s)", type(exc).__name__)
        return
    for gauge in (metrics.WEBHOOK_LAG_EVENTS, metrics.WEBHOOK_LAG_SECONDS):
        gauge.clear()
    for row in rows:
        metrics.WEBHOOK_LAG_EVENTS.labels(webhook_id=row["webhook_id"]).set(row["lag_events"])
        metrics.WEBHOOK_LAG_SECONDS.labels(webhook_id=row["webhook_id"]).set(row["lag_seconds"])


def router(settings: Settings) -> APIRouter:
    """The ``/metrics`` route, open or behind a reader key as configured."""
    guard: list[Any] = [] if settings.metrics_public else [Depends(require(Role.READER))]
    api = APIRouter(tags=["metrics"], dependencies=guard)

    @api.get("/metrics", include_in_schema=False)
    async def get_metrics(request: Request) -> Response:
        """Prometheus metrics of this process (of all workers in multiprocess mode)."""
        await _refresh_shared(request)
        await _refresh_webhook_lag(request)
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    return api


def install(app: FastAPI, settings: Settings) -> None:
    """Add the request metrics middleware and the ``/metrics`` route to the app."""
    app.add_middleware(MetricsMiddleware)
    app.include_router(router(settings))
