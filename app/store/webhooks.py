"""Webhook subscriptions in Neo4j: their settings, delivery cursor, status and lease.

Everything a deliverer needs to resume lives on the ``(:WebhookSubscription)`` node, so a
restarted (or another) API process carries on from the stored cursor.
"""

from __future__ import annotations

from typing import Any

from app.store import catalog
from app.store.graph_store import GraphStore
from app.store.unit import Neo4jUnit


class Neo4jWebhookStore:
    """Reads and writes webhook subscriptions.

    Args:
        store: the process's graph store (its driver and database).
    """

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def _run(self, name: str, write: bool, **params: Any) -> list[dict[str, Any]]:
        def work(unit: Neo4jUnit) -> list[dict[str, Any]]:
            return [r.data() for r in unit.tx.run(catalog.query(f"queries/{name}"), **params)]

        if write:
            return self.store.in_write_transaction(work)  # type: ignore[arg-type]
        return self.store.in_read_transaction(work)

    def create(self, row: dict[str, Any]) -> None:
        """Store a new subscription (``cypher/queries/webhook_create.cypher`` parameters)."""
        self._run("webhook_create", write=True, **row)

    def status(self, webhook_id: str | None = None) -> list[dict[str, Any]]:
        """Subscriptions (all, or the one named) with delivery status and lag; no secrets."""
        return self._run("webhook_status", write=False, webhook_id=webhook_id)

    def delete(self, webhook_id: str) -> bool:
        """Remove a subscription; False when there was none."""
        return bool(self._run("webhook_delete", write=True, webhook_id=webhook_id))

    def ids(self) -> list[str]:
        return [r["webhook_id"] for r in self._run("webhook_ids", write=False)]

    def lease(self, webhook_id: str, owner: str, seconds: float) -> dict[str, Any] | None:
        """Take or renew the delivery lease; the subscription when ``owner`` holds it."""
        rows = self._run(
            "webhook_lease", write=True, webhook_id=webhook_id, owner=owner, seconds=seconds
        )
        return rows[0] if rows and rows[0]["held"] else None

    def advance(
        self, webhook_id: str, owner: str, sequence: int, delivered: int, seconds: float
    ) -> bool:
        """Move the cursor past ``sequence``; False when ``owner`` lost the lease."""
        rows = self._run(
            "webhook_advance",
            write=True,
            webhook_id=webhook_id,
            owner=owner,
            sequence=sequence,
            delivered=delivered,
            seconds=seconds,
        )
        return bool(rows)

    def fail(self, webhook_id: str, owner: str, error: str, delay: float) -> int | None:
        """Record a failed attempt; the attempts so far, None when the lease was lost."""
        rows = self._run(
            "webhook_fail", write=True, webhook_id=webhook_id, owner=owner, error=error, delay=delay
        )
        return int(rows[0]["attempts"]) if rows else None

    def release(self, owner: str) -> int:
        """Give up every lease ``owner`` holds."""
        rows = self._run("webhook_release", write=True, owner=owner)
        return int(rows[0]["released"]) if rows else 0
