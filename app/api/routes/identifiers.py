"""``DELETE /v1/identifiers/{kind}/{value}``: erase one identifier."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import AdminDep, ErasureDep
from app.api.params import KindPath, ValuePath
from app.audit import targets as audit_targets
from app.core import metrics
from graph_models.customers import ErasureReport

router = APIRouter(tags=["erasure"])


@router.delete(
    "/identifiers/{kind}/{value:path}",
    response_model=ErasureReport,
    summary="Erase one identifier and the evidence built from it",
    responses={404: {"description": "The identifier is not in the graph"}},
)
def erase_identifier(
    kind: KindPath, value: ValuePath, _: AdminDep, erasure: ErasureDep
) -> ErasureReport:
    """The value is normalised as in lookups (accounts as ``web/u-123``)."""
    report = erasure.erase_identifier(kind, value)
    metrics.count_changes(report.changes)
    audit_targets.erased(report)
    return report
