"""The review queue: ``GET /v1/review`` and ``POST /v1/review/decisions``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.api.caller import AdminCallerDep
from app.api.deps import EngineDep, OverridesDep, ReaderDep, SettingsDep, StoreDep
from app.audit import targets as audit_targets
from app.audit.http import audited
from app.core import metrics
from app.review.service import ReviewQueue
from app.store.graph_store import GraphStore
from app.store.whatif import in_what_if_transaction
from graph_models.customers import Override
from graph_models.review import ReviewDecision, ReviewKind, ReviewPage

router = APIRouter(tags=["review"])


def _queue(
    store: GraphStore, engine: EngineDep, overrides: OverridesDep, settings: SettingsDep
) -> ReviewQueue:
    return ReviewQueue(
        lambda work: in_what_if_transaction(store, work), engine, overrides, settings
    )


@router.get("/review", response_model=ReviewPage, summary="Doubtful matches, most useful first")
def review(
    _: ReaderDep,
    store: StoreDep,
    engine: EngineDep,
    overrides: OverridesDep,
    settings: SettingsDep,
    kind: Annotated[
        ReviewKind | None, Query(description="pair or policy_split; all if unset")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> ReviewPage:
    """Pairs in the grey zone around the join threshold and policy splits that cut strong
    evidence, each with its evidence; ``a`` and ``b`` of an item are what a decision names."""
    return _queue(store, engine, overrides, settings).page(kind, offset, limit)


@router.post(
    "/review/decisions",
    response_model=Override,
    status_code=status.HTTP_201_CREATED,
    summary="Accept or reject a review item: a must-link or cannot-link, applied at once",
    responses={
        404: {"description": "a or b is not in the graph"},
        409: {"description": "already decided, or a must-link that would join nothing"},
        422: {"description": "a or b is not kind:value, or does not normalise"},
    },
)
@audited("review_decision")
def decide(
    decision: ReviewDecision,
    caller: AdminCallerDep,
    store: StoreDep,
    engine: EngineDep,
    overrides: OverridesDep,
    settings: SettingsDep,
) -> Override:
    """Becomes an override signed with the key's short name (and the analyst's name if
    given): it survives rematch and recluster, and DELETE /v1/overrides/{id} undoes it."""
    override = _queue(store, engine, overrides, settings).decide(decision, caller.name)
    metrics.count_changes(override.changes)
    audit_targets.overridden(override)
    return override
