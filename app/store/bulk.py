"""The few statements bulk mode runs on the graph: emptiness, fix-ups, counts."""

from __future__ import annotations

from neo4j import Driver, ManagedTransaction

from app.store import catalog


class BulkStore:
    """Reads and fix-ups around an offline import (``app.bulk``).

    Args:
        driver: a connected driver.
        database: the database the import wrote.
    """

    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database

    def content_nodes(self) -> int:
        """Nodes in the graph; 0 when it holds nothing but the change feed's counter
        (which applying the schema creates), so that bulk mode may load it."""
        records, _, _ = self.driver.execute_query(
            catalog.query("bulk/graph_size"), database_=self.database, routing_="r"
        )
        return int(records[0]["nodes"]) if records[0]["content"] else 0

    def create_schema_together(self) -> None:
        """Every constraint and index of ``cypher/schema`` in one transaction, so that
        Neo4j fills them together after an import (one scan of each label rather than one
        per index). :func:`~app.store.driver.apply_schema` still runs after it: its
        statements (``IF NOT EXISTS``) then change nothing, and it waits for the indexes.
        """

        def work(tx: ManagedTransaction) -> None:
            for name in catalog.names("schema"):
                tx.run(catalog.query(name)).consume()

        with self.driver.session(database=self.database) as session:
            session.execute_write(work)

    def entity_counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type the import wrote."""
        records, _, _ = self.driver.execute_query(
            catalog.query("bulk/entity_counts"), database_=self.database, routing_="r"
        )
        return {k: int(v) for k, v in records[0].data().items()}

    def fill_created_before(self, per_transaction: int = 20_000) -> int:
        """Set the empty ``before`` list on imported events (``created``, and ``consent``
        of a new customer); returns how many."""
        query = catalog.query("bulk/created_events_before")

        def work(tx: ManagedTransaction) -> int:
            return int(tx.run(query, limit=per_transaction).single(strict=True)["updated"])

        total = 0
        with self.driver.session(database=self.database) as session:
            while updated := session.execute_write(work):
                total += updated
        return total
