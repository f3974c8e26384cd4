"""The body of a 422 for input the engine refused, in FastAPI's own shape.

Pydantic's validation errors answer ``{"detail": [{"loc", "msg", "type"}, ...]}``
(``HTTPValidationError`` in the OpenAPI document); the engine's ``InvalidInputError`` says
the same, so that clients parse one shape. The engine names the field (and, in a batch,
the record); where the field came from (path, query or body) is read from the request.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from app.core.errors import FieldError, InvalidInputError


def _where(request: Request, field: str | int | None) -> str:
    if field in request.path_params:
        return "path"
    if field in request.query_params:
        return "query"
    return "body"


def _entry(request: Request, error: FieldError) -> dict[str, Any]:
    if error.record is not None:
        return {
            "loc": ["body", "records", error.record.index, *error.field],
            "msg": error.msg,
            "type": error.type,
            "record": {"source": error.record.source, "record_id": error.record.record_id},
        }
    first = error.field[0] if error.field else None
    return {"loc": [_where(request, first), *error.field], "msg": error.msg, "type": error.type}


def validation_detail(request: Request, exc: InvalidInputError) -> list[dict[str, Any]]:
    """One ``{"loc", "msg", "type", ...}`` entry per bad field of ``exc``."""
    if exc.errors:
        return [_entry(request, error) for error in exc.errors]
    return [{"loc": [], "msg": exc.message, "type": "value_error"}]
