"""``GET /v1/audit``: the audit log, newest first, with filters (admin keys only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator

from app.api.deps import AdminDep, ServicesDep
from app.api.params import _in_utc
from app.audit.service import MAX_PAGE
from graph_models.audit import OUTCOMES, AuditFilter, AuditPage

router = APIRouter(tags=["audit"])

Moment = Annotated[
    datetime | None, Query(examples=["2026-12-01T00:00:00Z"]), AfterValidator(_in_utc)
]


@router.get(
    "/audit",
    response_model=AuditPage,
    summary="Who did what, when, and how it ended: newest first",
    responses={422: {"description": "a bad filter or cursor (named)"}},
)
def get_audit(
    _: AdminDep,
    services: ServicesDep,
    action: Annotated[
        str | None, Query(max_length=200, description="e.g. `erase_customer`")
    ] = None,
    actor: Annotated[
        str | None, Query(max_length=200, description="e.g. `admin key sha256=1a2b3c4d`")
    ] = None,
    outcome: Annotated[str | None, Query(description=f"One of: {', '.join(OUTCOMES)}.")] = None,
    target: Annotated[
        str | None, Query(max_length=300, description="e.g. `customer:C-7f3a9c1e2b4d5f60`")
    ] = None,
    since: Moment = None,
    until: Moment = None,
    cursor: Annotated[str | None, Query(max_length=200, description="A page's `next`.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AuditPage:
    """Entries passing every filter given (``since`` inclusive, ``until`` exclusive)."""
    filters = AuditFilter(
        action=action, actor=actor, outcome=outcome, target=target, since=since, until=until
    )
    return services.audit.page(filters, cursor, limit)
