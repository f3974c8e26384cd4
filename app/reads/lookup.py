"""``GET``/``POST /v1/lookup``: which customer an identifier belongs to."""

from __future__ import annotations

from app.core.errors import NotFoundError
from app.engine.core import Engine
from app.engine.ports import LookupRow, LookupStore
from graph_models.customers import IdentifierView, LookupResult


class LookupService:
    """Identifier -> customer, normalised as at ingestion.

    Args:
        store: the lookup hot path (one index seek).
        engine: the normaliser.
    """

    def __init__(self, store: LookupStore, engine: Engine) -> None:
        self.store = store
        self.engine = engine

    def lookup(self, kind: str, value: str, source: str | None = None) -> LookupResult:
        """Which customer an identifier belongs to (normalised as at ingestion)."""
        key = self.engine.identifier_key(kind, value, source)
        return self._result(key, self.store.lookup(key))

    async def lookup_async(self, kind: str, value: str, source: str | None = None) -> LookupResult:
        """:meth:`lookup` for the API's event loop."""
        key = self.engine.identifier_key(kind, value, source)
        return self._result(key, await self.store.lookup_async(key))

    @staticmethod
    def _result(key: str, row: LookupRow | None) -> LookupResult:
        if row is None:
            raise NotFoundError(f"no identifier {key} in the graph")
        return LookupResult(
            customer_id=row["customer_id"],
            confidence=row["confidence"],
            identifier=IdentifierView(kind=row["kind"], value=row["value"]),
            shared=bool(row["shared"]),
            shared_reason=row["shared_reason"],
        )
