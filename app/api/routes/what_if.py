"""``POST /v1/what-if``: what a proposed change would do, computed without writing."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import EngineDep, ReaderDep, StoreDep
from app.audit.http import not_audited
from app.store.whatif import in_what_if_transaction
from app.whatif.service import WhatIf
from graph_models.whatif import WhatIfRequest, WhatIfResult

router = APIRouter(tags=["what-if"])


@router.post(
    "/what-if",
    response_model=WhatIfResult,
    summary="What a proposed override, quarantine, new record or erasure would do",
    responses={
        404: {"description": "an identifier named is not in the graph"},
        409: {"description": "the change is already made (override, quarantine, record)"},
        422: {"description": "not exactly one proposal, or an identifier does not normalise"},
    },
)
@not_audited  # computed without writing
def what_if(
    request: WhatIfRequest, _: ReaderDep, store: StoreDep, engine: EngineDep
) -> WhatIfResult:
    """The customers that would merge or split and the identifiers whose customer would
    change, from the live graph in one read-only transaction: nothing is written."""
    return WhatIf(lambda work: in_what_if_transaction(store, work), engine).predict(request)
