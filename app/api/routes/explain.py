"""``GET /v1/explain``: why two identifiers are, or are not, one customer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from app.api.deps import ExplainDep, ReaderDep
from app.api.params import identifier_ref
from graph_models.customers import Explanation

router = APIRouter(tags=["explain"])


@router.get(
    "/explain",
    response_model=Explanation,
    summary="Why two identifiers are (or are not) the same customer",
    responses={
        404: {"description": "a or b is not in the graph"},
        422: {"description": "a or b is not kind:value or does not normalise"},
    },
)
def explain(
    _: ReaderDep,
    explanations: ExplainDep,
    a: Annotated[str, identifier_ref("email:jane@example.com")],
    b: Annotated[str, identifier_ref("phone:+14155550100")],
) -> Explanation:
    """The strongest path with each link's evidence, its weakest link and the
    counterfactual; or why not: no path, a link below the threshold, a policy split
    (policy and cut links; for an attribute policy the field and the two records that
    disagreed), an override, or a quarantined shared identifier."""
    return explanations.explain(a, b)
