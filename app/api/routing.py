"""The route template of a request: what metrics and access logs label requests by."""

from __future__ import annotations

from starlette.routing import BaseRoute
from starlette.types import Scope

from app.core import metrics


def route_template(scope: Scope) -> str:
    """The path template of the route that served the request, with its router prefix
    (``/v1/customers/{customer_id}``), or ``<unmatched>``."""
    # FastAPI 0.16x includes routers lazily: scope["route"] is the route as declared, without
    # the include prefix; scope["fastapi"]["effective_route_context"] has the full template.
    # Earlier versions copy routes with the prefix into the app: their route.path is whole.
    fastapi_scope = scope.get("fastapi")
    effective = fastapi_scope.get("effective_route_context") if fastapi_scope else None
    path = getattr(effective, "path", None)
    if isinstance(path, str):
        return path
    route: BaseRoute | None = scope.get("route")
    return getattr(route, "path", None) or metrics.UNMATCHED_ROUTE
