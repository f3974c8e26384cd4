"""``GET /v1/explain``: the references parsed, then the engine's explainer."""

from __future__ import annotations

from app.engine.core import Engine
from app.engine.explain import Explainer, ExplainStore
from graph_models.customers import Explanation


class ExplainService:
    """Why two identifiers are, or are not, one customer.

    Args:
        store: reads in one read transaction.
        engine: the normaliser and the configuration the explanation replays.
    """

    def __init__(self, store: ExplainStore, engine: Engine) -> None:
        self.store = store
        self.engine = engine

    def explain(self, a: str, b: str) -> Explanation:
        """Why ``a`` and ``b`` (``kind:value``, normalised as lookups) are or are not one
        customer, from the stored evidence."""
        key_a, key_b = self.engine.parse_ref(a, "a"), self.engine.parse_ref(b, "b")
        return Explainer(self.store, self.engine.config).explain(key_a, key_b)
