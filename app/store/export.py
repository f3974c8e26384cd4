"""The reads of a data-subject export (``app.privacy.export``), all in one read transaction
so the document is one consistent picture of the person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.engine.ports import ExportSubject
from app.store import catalog
from app.store.graph_store import GraphStore
from app.store.unit import Neo4jUnit, native


class Neo4jExportStore:
    """Runs ``export_subject.cypher`` and one ``export_<section>.cypher`` per section.

    Args:
        store: the process's graph store (its driver and database).
    """

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def export(
        self, customer_id: str, sections: Sequence[str]
    ) -> tuple[ExportSubject, dict[str, list[dict[str, Any]]]] | None:
        """The subject and the rows of each section (None: no such customer id)."""

        def work(unit: Neo4jUnit) -> tuple[ExportSubject, dict[str, list[dict[str, Any]]]] | None:
            found = unit.tx.run(catalog.query("queries/export_subject"), customer_id=customer_id)
            row = found.single()
            if row is None:
                return None
            subject = ExportSubject(
                current_id=row["current_id"],
                status=row["status"],
                customer_ids=sorted(row["customer_ids"]),
                members=sorted(row["members"]),
                records=sorted(row["records"]),
                identifiers=sorted(row["identifiers"]),
                past_customer_ids=sorted(row["past_customer_ids"]),
            )
            params: dict[str, Any] = {
                "customer_ids": subject.customer_ids,
                "identifiers": subject.identifiers,
                "records": subject.records,
                "past_customer_ids": subject.past_customer_ids,
            }
            rows = {
                name: [
                    native(r["row"])
                    for r in unit.tx.run(catalog.query(f"queries/export_{name}"), params)
                ]
                for name in sections
            }
            return subject, rows

        return self.store.in_read_transaction(work)
