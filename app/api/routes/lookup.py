"""``GET /v1/lookup``: which customer is this identifier?"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import ReaderDep, ServiceDep
from graph_models.customers import LookupResult

router = APIRouter(tags=["lookup"])


@router.get(
    "/lookup",
    response_model=LookupResult,
    summary="Resolve one identifier to its customer",
    responses={404: {"description": "The identifier is not in the graph"}},
)
async def lookup(
    _: ReaderDep,
    service: ServiceDep,
    kind: Annotated[str, Query(examples=["email"])],
    value: Annotated[str, Query(examples=["Jane.Doe@Example.com"])],
    source: Annotated[
        str | None, Query(description="Scope of an account value, e.g. `web`.")
    ] = None,
) -> LookupResult:
    """Normalised as at ingestion; a shared identifier answers with ``shared: true``."""
    return await service.lookup_async(kind, value, source)
