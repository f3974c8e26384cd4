"""The answers every operation can give, added to the OpenAPI document in one place.

Routes declare their own outcomes (200, 404, 409, 422). What the machinery around them may
answer is the same for all and is added here, so that clients (and the schemathesis run in
the tests) find every status the API can send documented: 401 and 403 on operations that
need a key, 429 where a key is rate limited, 413 where a body is sent, 503 when Neo4j is
unavailable, 400 when a body cannot be read, 500 (with the request id) for an unexpected error.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

_MESSAGE = {
    "title": "ErrorMessage",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "What went wrong."}},
}
_TOO_LARGE = {
    "title": "BodyTooLarge",
    "type": "object",
    "required": ["detail", "max_body_bytes"],
    "properties": {"detail": {"type": "string"}, "max_body_bytes": {"type": "integer"}},
}
_INTERNAL = {
    "title": "InternalError",
    "type": "object",
    "required": ["detail", "request_id"],
    "properties": {
        "detail": {"type": "string"},
        "request_id": {
            "type": "string",
            "description": "The request's X-Request-ID: quote it to the operator.",
        },
    },
}
_SCHEMAS = {
    "ErrorMessage": _MESSAGE,
    "BodyTooLarge": _TOO_LARGE,
    "InternalError": _INTERNAL,
}


def _json(description: str, schema: str, **extra: Any) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {"description": description, "content": content, **extra}


_SECURED = {
    "401": _json("Missing or invalid API key", "ErrorMessage"),
    "403": _json("The key's role may not do this", "ErrorMessage"),
    "429": _json(
        "Too many requests with this API key (IDGRAPH_RATE_LIMIT)",
        "ErrorMessage",
        headers={
            "Retry-After": {
                "description": "Seconds to wait before the next request",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    ),
    "503": _json("Neo4j is unavailable", "ErrorMessage"),
}
_WITH_BODY = {
    "400": _json("The body could not be read (not UTF-8, or a broken upload)", "ErrorMessage"),
    "413": _json("Request body larger than IDGRAPH_MAX_BODY_BYTES", "BodyTooLarge"),
}
_ALWAYS = {
    "500": _json("Unexpected error; the body names the request id", "InternalError"),
}


def add_common_responses(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the shared error answers to each operation of ``spec`` (in place), keeping any
    the operation declares itself."""
    spec.setdefault("components", {}).setdefault("schemas", {}).update(_SCHEMAS)
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            common = dict(_ALWAYS)
            if operation.get("security"):
                common.update(_SECURED)
            if "requestBody" in operation:
                common.update(_WITH_BODY)
            for status, response in common.items():
                operation["responses"].setdefault(status, response)
    return spec


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` answer the document with the shared error answers."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_common_responses(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
