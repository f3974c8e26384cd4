"""The body of a 422 for input the engine refused, in FastAPI's own shape.

Pydantic's validation errors answer ``{"detail": [{"loc", "msg", "type"}, ...]}``
(``HTTPValidationError`` in the OpenAPI document); the engine's ``InvalidInputError`` says
the same, so that clients parse one shape. An identifier the normaliser refused names its
field (``kind`` or ``value``); where that field came from (path, query or body) is read
from the request.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from app.core.errors import InvalidIdentifierError, InvalidInputError


def _where(request: Request, field: str) -> str:
    if field in request.path_params:
        return "path"
    if field in request.query_params:
        return "query"
    return "body"


def validation_detail(request: Request, exc: InvalidInputError) -> list[dict[str, Any]]:
    """One ``{"loc", "msg", "type", ...}`` entry per bad field of ``exc``."""
    if exc.errors:
        return [
            {"loc": [], "type": "value_error", **error, "msg": str(error.get("msg", exc.message))}
            for error in exc.errors
        ]
    if isinstance(exc, InvalidIdentifierError):
        loc = [_where(request, exc.field), exc.field]
        return [{"loc": loc, "msg": exc.message, "type": "invalid_identifier"}]
    return [{"loc": [], "msg": exc.message, "type": "value_error"}]
