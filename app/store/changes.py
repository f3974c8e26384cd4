"""The change feed's reads from Neo4j, and the migration that numbers events of older graphs.

Events are numbered when they are written (``cypher/queries/create_events.cypher``); this
module only reads them, in sequence order.
"""

from __future__ import annotations

from typing import Any

from neo4j import Driver

from app.store import catalog
from app.store.graph_store import GraphStore
from app.store.unit import Neo4jUnit

#: Events numbered per transaction by the migration (bounded memory on large graphs).
MIGRATION_BATCH = 10_000


class Neo4jFeedStore:
    """Reads the numbered history events (the change feed) from Neo4j.

    Args:
        store: the process's graph store (its driver and database).
    """

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def _read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        def work(unit: Neo4jUnit) -> list[dict[str, Any]]:
            return [r.data() for r in unit.tx.run(catalog.query(f"queries/{name}"), **params)]

        return self.store.in_read_transaction(work)

    def events_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` events numbered after ``after``, in sequence order."""
        return self._read("feed_page", after=after, limit=limit)

    def head(self) -> int:
        """The last sequence number handed out (0 before the first event)."""
        rows = self._read("feed_head")
        return int(rows[0]["head"]) if rows else 0


def number_old_events(driver: Driver, database: str) -> int:
    """Give a sequence number to every history event that has none (graphs written before
    the change feed), oldest first, after the numbered ones. Idempotent; safe to run from
    several processes at once (each batch holds the counter's lock).

    Returns:
        How many events were numbered.
    """
    total = 0
    while True:
        records, _, _ = driver.execute_query(
            catalog.query("queries/number_old_events"),
            limit=MIGRATION_BATCH,
            database_=database,
        )
        numbered = int(records[0]["numbered"]) if records else 0
        total += numbered
        if numbered < MIGRATION_BATCH:
            return total
