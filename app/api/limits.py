"""Request limits: body size (413) and requests per API key (429 with ``Retry-After``).

**Body size** (``IDGRAPH_MAX_BODY_BYTES``): a request whose ``Content-Length`` is over the
limit is answered 413 before any of its body is read; a body sent without one (chunked) is
counted as it streams in and refused as soon as it passes the limit. This is a small ASGI
middleware rather than ``FastAPI(max_body_size=...)``: FastAPI's limit sits outside the
app's middleware and replaces the answer with plain text, so the 413 would carry neither
a JSON body nor the request id, and would not be logged or counted.

**Rate limit** (``IDGRAPH_RATE_LIMIT``, off by default): requests per valid API key, with a
moving window from the ``limits`` package, checked by the key dependency
(:func:`app.api.deps.require`) right after the key is recognised. Counts live in this
process's memory: each API worker and each replica counts the requests it serves, so N
processes admit up to N times the limit.
"""

from __future__ import annotations

import math
import time

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings

BODY_TOO_LARGE = 413
RATE_LIMITED = 429


class BodyTooLargeError(HTTPException):
    """The request body passed the limit while it was read."""

    def __init__(self) -> None:
        super().__init__(BODY_TOO_LARGE, "request body too large")


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        {
            "detail": f"request body larger than {limit} bytes; send smaller batches "
            "(the limit is IDGRAPH_MAX_BODY_BYTES)",
            "max_body_bytes": limit,
        },
        BODY_TOO_LARGE,
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses such a request before it gets here
    return None


class BodySizeLimitMiddleware:
    """413 for a body over ``limit`` bytes, declared or streamed, without reading it whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _too_large(self.limit)(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # FastAPI re-raises an HTTPException met while reading the body, so the
                    # app's handler for 413 answers it (see install); else we do, below.
                    raise BodyTooLargeError()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            if started:
                raise
            await _too_large(self.limit)(scope, receive, send)


class KeyRateLimiter:
    """Counts requests per API key against each configured limit (moving windows)."""

    def __init__(self, limits: list[RateLimitItem]) -> None:
        self.limits = limits
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    @classmethod
    def from_setting(cls, spec: str) -> KeyRateLimiter | None:
        """The limiter for ``IDGRAPH_RATE_LIMIT`` (``"20/second;600/minute"``), or None."""
        if not spec.strip():
            return None
        try:
            return cls(parse_many(spec))
        except ValueError as exc:
            raise ValueError(
                f"IDGRAPH_RATE_LIMIT={spec!r} is not a rate limit such as '20/second' "
                f"or '20/second;600/minute': {exc}"
            ) from None

    def hit(self, key_digest: bytes) -> None:
        """Count one request of the key; raise 429 with ``Retry-After`` when it is over."""
        identity = key_digest.hex()
        for item in self.limits:
            if not self.limiter.hit(item, identity):
                reset = self.limiter.get_window_stats(item, identity).reset_time
                retry_after = max(1, math.ceil(reset - time.time()))
                raise HTTPException(
                    RATE_LIMITED,
                    f"rate limit of {item} per API key exceeded; retry after {retry_after} s",
                    headers={"Retry-After": str(retry_after)},
                )


def rate_limit(request: Request, key_digest: bytes) -> None:
    """Count a request of a recognised key, if the app has a rate limit."""
    limiter: KeyRateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        limiter.hit(key_digest)


def install(app: FastAPI, settings: Settings) -> None:
    """The body size middleware, its JSON answer, and the rate limiter (if configured).

    Call it before the logging and metrics middleware are added, so that they see (and
    tag with a request id) the 413 answers too.
    """
    app.state.rate_limiter = KeyRateLimiter.from_setting(settings.rate_limit)
    limit = settings.max_body_bytes
    app.add_middleware(BodySizeLimitMiddleware, limit=limit)

    @app.exception_handler(BodyTooLargeError)
    async def _body_too_large(_: Request, __: BodyTooLargeError) -> JSONResponse:
        return _too_large(limit)
