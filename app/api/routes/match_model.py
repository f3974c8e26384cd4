"""``GET /v1/match-model``: the model that scores look-alike records."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ModelsDep, ReaderDep
from graph_models.customers import MatchLevelView, MatchModelView

router = APIRouter(tags=["matching"])


@router.get(
    "/match-model",
    response_model=MatchModelView,
    summary="The active match model: m/u probabilities per field and level",
)
def match_model(_: ReaderDep, models: ModelsDep) -> MatchModelView:
    """The model fitted with ``idgraph model fit`` (EM or labels), else the built-in one."""
    model = models.current()
    return MatchModelView(
        version=model.version,
        method=model.method,
        prior=model.prior,
        levels=[MatchLevelView.model_validate(row) for row in model.describe()],
    )
