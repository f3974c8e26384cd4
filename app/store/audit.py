"""The audit log in Neo4j: one ``(:AuditEntry)`` node per audited action."""

from __future__ import annotations

from typing import Any, cast

from app.engine.ports import AuditRow
from app.store import catalog
from app.store.graph_store import GraphStore
from app.store.unit import Neo4jUnit


class Neo4jAuditStore:
    """Writes and pages audit entries.

    Args:
        store: the process's graph store (its driver, its async driver in the API, and the
            database).
    """

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def record(self, row: AuditRow) -> None:
        """Store one entry in its own managed write transaction."""

        def work(unit: Neo4jUnit) -> None:
            unit.tx.run(catalog.query("queries/audit_record"), row=row).consume()

        self.store.in_write_transaction(work)  # type: ignore[arg-type]

    async def record_async(self, row: AuditRow) -> None:
        """:meth:`record` on the event loop (the API's async driver), so that auditing a
        request costs no worker thread; without an async driver, in a worker thread."""
        driver = self.store.async_driver
        if driver is None:
            import anyio.to_thread

            await anyio.to_thread.run_sync(self.record, row)
            return
        query = catalog.query("queries/audit_record")

        async def work(tx: Any) -> None:
            result = await tx.run(query, row=row)
            await result.consume()

        async with driver.session(database=self.store.database) as session:
            await session.execute_write(work)

    def page(self, params: dict[str, Any]) -> list[AuditRow]:
        """Rows of ``cypher/queries/audit_page.cypher`` (its parameters), newest first."""

        def work(unit: Neo4jUnit) -> list[AuditRow]:
            query = catalog.query("queries/audit_page")
            return [cast(AuditRow, r.data()) for r in unit.tx.run(query, **params)]

        return self.store.in_read_transaction(work)
