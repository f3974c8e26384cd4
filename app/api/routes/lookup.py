"""``GET`` and ``POST /v1/lookup``: which customer is this identifier?"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ConsentDep, LookupsDep, ReaderDep
from app.audit.http import not_audited
from graph_models.consent import MAX_PURPOSE_LENGTH
from graph_models.customers import LookupResult
from graph_models.identifiers import MAX_KIND_LENGTH, MAX_VALUE_LENGTH
from graph_models.records import MAX_SOURCE_LENGTH

router = APIRouter(tags=["lookup"])

_404: dict[int | str, dict[str, Any]] = {404: {"description": "The identifier is not in the graph"}}
_PURPOSE = (
    "Ask whether the customer may be used for this purpose (`permitted`); without consent "
    "the answer holds no identifier."
)


class LookupRequest(BaseModel):
    """The identifier to resolve, in the body so emails and phones stay out of URLs."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "email", "value": "Jane.Doe@Example.com"}]},
    )

    kind: str = Field(min_length=1, max_length=MAX_KIND_LENGTH, examples=["email"])
    value: str = Field(min_length=1, max_length=MAX_VALUE_LENGTH, examples=["Jane.Doe@Example.com"])
    source: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SOURCE_LENGTH,
        description="Scope of an account value, e.g. `web`.",
        examples=["web"],
    )
    purpose: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PURPOSE_LENGTH,
        description=_PURPOSE,
        examples=["marketing"],
    )


@router.get(
    "/lookup",
    response_model=LookupResult,
    summary="Resolve one identifier to its customer",
    responses=_404,
)
async def lookup(
    _: ReaderDep,
    lookups: LookupsDep,
    consent: ConsentDep,
    kind: Annotated[str, Query(min_length=1, max_length=MAX_KIND_LENGTH, examples=["email"])],
    value: Annotated[
        str,
        Query(min_length=1, max_length=MAX_VALUE_LENGTH, examples=["Jane.Doe@Example.com"]),
    ],
    source: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_SOURCE_LENGTH,
            description="Scope of an account value, e.g. `web`.",
        ),
    ] = None,
    purpose: Annotated[
        str | None, Query(min_length=1, max_length=MAX_PURPOSE_LENGTH, description=_PURPOSE)
    ] = None,
) -> LookupResult:
    """Normalised as at ingestion; a shared identifier answers with ``shared: true``.

    Prefer ``POST /v1/lookup`` for emails and phones: URLs end up in proxies' logs."""
    if purpose is not None:
        return await run_in_threadpool(consent.lookup, kind, value, source, purpose)
    return await lookups.lookup_async(kind, value, source)


@router.post(
    "/lookup",
    response_model=LookupResult,
    summary="Resolve one identifier to its customer (identifier in the body)",
    responses=_404,
)
@not_audited  # a read: POST only keeps the value out of the URL
async def lookup_post(
    _: ReaderDep, lookups: LookupsDep, consent: ConsentDep, request: LookupRequest
) -> LookupResult:
    """As ``GET /v1/lookup``, with the identifier in a JSON body instead of the URL."""
    if request.purpose is not None:
        return await run_in_threadpool(
            consent.lookup, request.kind, request.value, request.source, request.purpose
        )
    return await lookups.lookup_async(request.kind, request.value, request.source)
