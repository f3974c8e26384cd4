"""Structured JSON logs and a request id for every request.

Each request gets an id (a sane incoming ``X-Request-ID``, else a new one), returned in the
``X-Request-ID`` response header and held in a context variable, so every log line emitted
while handling the request carries it. The access log written here names the route's path
*template* (``/v1/customers/{customer_id}``), never the path or query string the client
sent: those may hold emails and phones. Run uvicorn with its own access log off.

An unexpected exception becomes a JSON 500 answered here, inside the request's context, so
it carries ``X-Request-ID`` and names the request id in its body; the log line has the
traceback's frames and the exception's class but never its message, which may quote the
values of the request (an email in a validation error, a parameter in a driver error).
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.routing import route_template

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_HANDLER_MARK = "_idgraph_json"

access_log = logging.getLogger("idgraph.access")
error_log = logging.getLogger("idgraph.errors")


@dataclass
class RequestContext:
    """What the log lines of one request may say about it (no personal values)."""

    request_id: str
    api_key: str | None = None  # the key's id (see :func:`key_id`), never the key
    role: str | None = None  # the recognised key's role (the audit log names the actor by it)


_current: ContextVar[RequestContext | None] = ContextVar("idgraph_request", default=None)


def current_request() -> RequestContext | None:
    """The request being handled in this context, if any."""
    return _current.get()


def key_id(digest: bytes) -> str:
    """A short name for an API key: the start of its SHA-256, as in ``IDGRAPH_API_KEYS``."""
    return "sha256=" + digest.hex()[:8]


def redacted_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` and of the exceptions it was raised from: the frames (file,
    line, function, source line) and each exception's class, without its message. A Neo4j
    error keeps its status code (``Neo.ClientError.Statement.ArgumentError``)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts = []
    for item in reversed(chain):
        frames = "".join(traceback.extract_tb(item.__traceback__).format())
        kind = type(item)
        code = getattr(item, "code", None)
        name = f"{kind.__module__}.{kind.__qualname__}"
        suffix = f" [{code}]" if isinstance(code, str) and code.startswith("Neo.") else ""
        parts.append(
            f"Traceback (most recent call last):\n{frames}{name}{suffix} (message withheld)"
        )
    return "\n\nwhich led to:\n\n".join(parts)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and extras.

    Exceptions are written by :func:`redacted_traceback`: frames, never messages."""

    def formatException(self, ei: Any) -> str:
        return redacted_traceback(ei[1]) if ei and ei[1] is not None else ""

    def format(self, record: logging.LogRecord) -> str:
        context = _current.get()
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", None)
            or (context.request_id if context else None),
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the ``idgraph`` loggers to stderr as JSON lines (once per process)."""
    logger = logging.getLogger("idgraph")
    if any(getattr(h, _HANDLER_MARK, False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(level)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """Give each HTTP request an id and write one access line when it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = RequestContext(_request_id(scope))
        token = _current.set(context)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", context.request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Logged here, in the request's context, and not re-raised: the server's own
            # handler would log the exception's message and answer without a request id.
            # The traceback goes in as text, not exc_info, so that no other handler (the
            # root logger's, a test's) can render the message either.
            error_log.error(
                "unexpected error",
                extra={"fields": {"status": 500, "exception": redacted_traceback(exc)}},
            )
            if not response_started:
                response = JSONResponse(
                    {"detail": "internal server error", "request_id": context.request_id},
                    500,
                )
                await response(scope, receive, send_with_id)
        finally:
            access_log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        # The template, never the sent path: /v1/identifiers/{kind}/{value}
                        # would otherwise log the email itself.
                        "route": route_template(scope),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "api_key": context.api_key,
                    }
                },
            )
            _current.reset(token)


def install(app: FastAPI) -> None:
    """Log JSON lines and tag every request of ``app`` with an id."""
    configure_logging()
    app.add_middleware(RequestLogMiddleware)
