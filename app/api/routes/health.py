"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.store.driver import schema_applied

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    """Always 200 while the process serves requests."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Neo4j answers and the schema is applied",
    responses={503: {"description": "Not ready; `reason` says why"}},
)
def readyz(request: Request) -> JSONResponse:
    """200 when Neo4j answers and the schema is online, 503 with the reason otherwise."""
    state = request.app.state
    driver = getattr(state, "driver", None)
    if driver is None:
        return JSONResponse({"status": "unavailable", "reason": state.startup_error}, 503)
    settings = state.settings
    try:
        # One connection attempt first: the statements below are managed transactions,
        # which the driver retries for a minute while Neo4j is unreachable, and a probe
        # must answer well within its own timeout.
        driver.verify_connectivity()
        if not state.schema_ready:
            from app.store.driver import apply_schema

            apply_schema(driver, settings.neo4j_database)
            state.schema_ready = True
        if not schema_applied(driver, settings.neo4j_database):
            return JSONResponse(
                {"status": "unavailable", "reason": "schema not applied or indexes not online"},
                503,
            )
    except Exception as exc:  # any driver failure means "not ready", with its reason
        return JSONResponse(
            {"status": "unavailable", "reason": f"Neo4j: {type(exc).__name__}: {exc}"}, 503
        )
    return JSONResponse({"status": "ready", "neo4j": settings.bolt_uri})
