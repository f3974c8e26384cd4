"""Overrides: analysts' must-link / cannot-link decisions, applied at once."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.api.deps import AdminDep, OverridesDep, ReaderDep
from app.api.params import OverrideId
from app.audit import targets as audit_targets
from app.core import metrics
from graph_models.customers import Override, OverrideRequest

router = APIRouter(tags=["overrides"])


@router.post(
    "/overrides",
    response_model=Override,
    status_code=status.HTTP_201_CREATED,
    summary="Decide that two identifiers are the same customer, or different ones",
    responses={
        404: {"description": "a or b is not in the graph"},
        409: {"description": "an override already concerns this pair"},
        422: {"description": "a or b is not kind:value, or does not normalise"},
    },
)
def create_override(request: OverrideRequest, _: AdminDep, overrides: OverridesDep) -> Override:
    """Clustering honours it at once (must-link / cannot-link); history records it."""
    override = overrides.add(request)
    metrics.count_changes(override.changes)
    audit_targets.overridden(override)
    return override


@router.get(
    "/overrides/{override_id}",
    response_model=Override,
    summary="One override",
    responses={404: {"description": "No such override"}},
)
def get_override(override_id: OverrideId, _: ReaderDep, overrides: OverridesDep) -> Override:
    """The decision, who made it and why."""
    return overrides.get(override_id)


@router.delete(
    "/overrides/{override_id}",
    response_model=Override,
    summary="Undo an override",
    responses={404: {"description": "No such override"}},
)
def delete_override(override_id: OverrideId, _: AdminDep, overrides: OverridesDep) -> Override:
    """The customers it shaped are re-evaluated at once; history records the removal."""
    override = overrides.remove(override_id)
    metrics.count_changes(override.changes)
    audit_targets.overridden(override)
    return override
