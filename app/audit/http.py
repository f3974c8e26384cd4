"""Auditing API requests: one middleware, so that routes added later are covered unasked.

Every request that a route answered is audited when its method changes something (not
GET, HEAD or OPTIONS), and a GET route is audited when it is marked a privacy action with
:func:`audited` (a data-subject export is a read that must leave a trace). A POST that only
reads is marked :func:`not_audited`. The action is the route's name (its function's name),
or the name given to :func:`audited`. Path parameters named ``<thing>_id`` become targets
``<thing>:<id>`` (withheld unless they look like an id idgraph issued: a wrong id may be
anything the caller typed); a route adds its own with :func:`app.audit.recording.note`.

Not audited: requests without a recognised key (401: anyone could fill the log), refused
by the rate limit (429: writing would defeat it), or answered before routing (413,
unknown paths); the access log has them all.

The entry is written after the route has finished, in a transaction of its own, before
the response is sent, so a client that has its answer can read the entry. If the write
fails or takes longer than :data:`WRITE_TIMEOUT`, the response is sent as it was (the
route's data is stored by then and must not be reported as failed); the failure is logged
(``idgraph.audit``, no values) and counted (``idgraph_audit_write_failures_total``). A 503
(Neo4j unavailable) is logged and counted so without trying: the write would only wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import get_services, get_store
from app.api.observability import current_request
from app.api.routing import route_template
from app.audit.recording import Pending, pending
from app.audit.service import ISSUED_ID, make_entry
from app.core import metrics
from app.core.errors import StoreUnavailableError
from graph_models.audit import Channel, outcome_of_status

F = TypeVar("F", bound=Callable[..., Any])

#: Seconds an audit write may take before the response goes out without it.
WRITE_TIMEOUT = 5.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NOT_AUDITED_STATUS = frozenset({401, 429})
_MARK = "__idgraph_audit__"

log = logging.getLogger("idgraph.audit")


@dataclass(frozen=True)
class _Mark:
    audit: bool
    action: str | None = None


def audited(action: str | None = None) -> Callable[[F], F]:
    """Mark a route as audited under ``action`` (default: its name); a GET route so marked
    is audited too (a privacy action such as an export). Put it below ``@router.get``."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, _MARK, _Mark(True, action))
        return endpoint

    return mark


def not_audited(endpoint: F) -> F:
    """Mark a POST route that only reads (a lookup, a what-if) as not audited."""
    setattr(endpoint, _MARK, _Mark(False))
    return endpoint


def path_targets(path_params: dict[str, Any]) -> list[str]:
    """``customer:C-…`` for each ``customer_id`` path parameter; an id not of the shape
    idgraph issues is withheld (it may be an email typed in by mistake)."""
    targets = []
    for name, value in path_params.items():
        if name.endswith("_id"):
            shown = value if isinstance(value, str) and ISSUED_ID.fullmatch(value) else "[withheld]"
            targets.append(f"{name.removesuffix('_id')}:{shown}")
    return targets


class AuditMiddleware:
    """Write one audit entry per audited request (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        done = False

        with pending() as entry:

            async def send_audited(message: Message) -> None:
                nonlocal done
                if message["type"] == "http.response.start" and not done:
                    done = True
                    await _audit(scope, message["status"], entry, started)
                await send(message)

            try:
                await self.app(scope, receive, send_audited)
            except Exception:
                if not done:  # answered 500 by the logging middleware around this one
                    done = True
                    await _audit(scope, 500, entry, started)
                raise


async def _audit(scope: Scope, status: int, entry: Pending, started: float) -> None:
    route = scope.get("route")
    if route is None or status in _NOT_AUDITED_STATUS:
        return
    mark: _Mark | None = getattr(scope.get("endpoint"), _MARK, None)
    method = scope["method"]
    if not (mark.audit if mark is not None else method not in SAFE_METHODS):
        return
    context = current_request()
    if context is None or context.role is None:  # no recognised key
        return
    action = (mark.action if mark else None) or getattr(route, "name", None) or "unnamed"
    record = make_entry(
        channel=Channel.API,
        actor=f"{context.role} key {context.api_key}",
        role=context.role,
        action=action,
        route=f"{method} {route_template(scope)}",
        targets=[*path_targets(scope.get("path_params", {})), *entry.targets],
        counts=entry.counts,
        outcome=outcome_of_status(status),
        status=status,
        request_id=context.request_id,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )
    try:
        if status == 503:  # Neo4j unavailable: the write would wait for it in vain
            raise StoreUnavailableError("Neo4j is unavailable")
        request = Request(scope)
        store = await get_store(request)
        services = await get_services(request, store, request.app.state.settings)
        with anyio.fail_after(WRITE_TIMEOUT):
            await services.audit.record_async(record)
    except Exception as exc:  # the answer stands: see the module docstring
        metrics.AUDIT_WRITE_FAILURES.inc()
        log.warning(
            "audit entry not written",
            extra={"fields": {"action": action, "status": status, "error": type(exc).__name__}},
        )


def install(app: FastAPI) -> None:
    """Audit the requests of ``app``; install inside the request logging middleware (it
    holds the request's context: id and key)."""
    app.add_middleware(AuditMiddleware)
