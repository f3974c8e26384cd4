"""The reads of a what-if (``app.whatif``): the engine's read queries plus a lock-free scope
walk, all in one read transaction, so a prediction can never write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from neo4j import ManagedTransaction

from app.store import catalog
from app.store.graph_store import GraphStore
from app.store.unit import Neo4jUnit

T = TypeVar("T")

#: ``(key, shared, customer_id, membership, [(neighbour, p, type, neighbour shared)])``
ExpandRow = tuple[str, bool, str | None, float | None, list[tuple[str, float, str, bool]]]


class WhatIfReads(Neo4jUnit):
    """The engine's read methods (``Neo4jUnit``) and the what-if's own reads."""

    def __init__(self, tx: ManagedTransaction) -> None:
        super().__init__(tx)

    def _rows(self, name: str, **params: Any) -> list[Any]:
        return list(self.tx.run(catalog.query(f"queries/{name}"), **params))

    def expand_typed(
        self, keys: Sequence[str], threshold: float, open_keys: Sequence[str] = ()
    ) -> list[ExpandRow]:
        rows = self._rows(
            "whatif_expand", keys=list(keys), threshold=threshold, open=list(open_keys)
        )
        return [
            (
                r["key"],
                bool(r["shared"]),
                r["customer_id"],
                r["membership"],
                [(b, p, t, bool(s)) for b, p, t, s in r["links"]],
            )
            for r in rows
        ]

    def customers_read(self, ids: Sequence[str]) -> list[tuple[str, datetime, list[str]]]:
        rows = self._rows("whatif_customers", ids=list(ids))
        return [
            (r["customer_id"], datetime.fromisoformat(r["created_at"]), list(r["members"]))
            for r in rows
        ]

    def block_sizes(self, keys: Sequence[str]) -> dict[str, int]:
        return {r["block"]: r["size"] for r in self._rows("whatif_block_sizes", keys=list(keys))}

    def erasure_secret_read(self) -> str | None:
        rows = self._rows("whatif_erasure_secret")
        return str(rows[0]["value"]) if rows else None


def in_what_if_transaction(store: GraphStore, work: Callable[[WhatIfReads], T]) -> T:
    """Run ``work`` in one managed *read* transaction: Neo4j refuses any write in it."""
    with store.driver.session(database=store.database) as session:
        return session.execute_read(lambda tx: work(WhatIfReads(tx)))
