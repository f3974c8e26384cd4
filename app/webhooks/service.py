"""Webhook subscriptions: register, list, inspect, delete."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from app.changes import cursor
from app.core.errors import NotFoundError
from app.engine.ports import FeedHead, SubscriptionStore
from graph_models.webhooks import Webhook, WebhookCreated, WebhookRequest, WebhookStatus


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def to_webhook(row: dict[str, Any]) -> Webhook:
    """A ``webhook_status.cypher`` row as the API's model."""
    return Webhook(
        webhook_id=row["webhook_id"],
        url=row["url"],
        event_types=list(row["event_types"] or []),
        created_at=datetime.fromisoformat(row["created_at"]),
        status=WebhookStatus(
            cursor=cursor.encode(row["cursor"]),
            sequence=row["cursor"],
            delivered=row["delivered"],
            attempts=row["attempts"],
            last_success_at=_time(row["last_success_at"]),
            last_error=row["last_error"],
            last_error_at=_time(row["last_error_at"]),
            next_attempt_at=_time(row["next_attempt_at"]),
            lag_events=row["lag_events"],
            lag_seconds=float(row["lag_seconds"]),
        ),
    )


class WebhookService:
    """Subscriptions over the store; delivery is :class:`app.webhooks.delivery.Deliverer`.

    Args:
        store: where subscriptions live.
        feed: the change feed (its head is where a new subscription starts by default).
    """

    def __init__(self, store: SubscriptionStore, feed: FeedHead) -> None:
        self.store = store
        self.feed = feed

    def create(self, request: WebhookRequest) -> WebhookCreated:
        """Store a subscription; its secret is in the answer and never shown again."""
        start = (
            self.feed.head() if request.after is None else cursor.decode(request.after, ("after",))
        )
        webhook_id = f"W-{secrets.token_hex(8)}"
        secret = request.secret or f"whsec-{secrets.token_urlsafe(32)}"
        self.store.create(
            {
                "webhook_id": webhook_id,
                "url": str(request.url),
                "event_types": [t.value for t in request.event_types],
                "secret": secret,
                "cursor": start,
                "now": datetime.now(UTC).isoformat(),
            }
        )
        return WebhookCreated(**self.get(webhook_id).model_dump(), secret=secret)

    def list(self) -> list[Webhook]:
        return [to_webhook(row) for row in self.store.status()]

    def get(self, webhook_id: str) -> Webhook:
        rows = self.store.status(webhook_id)
        if not rows:
            raise NotFoundError(f"no webhook {webhook_id}")
        return to_webhook(rows[0])

    def delete(self, webhook_id: str) -> Webhook:
        """Remove a subscription; the answer is its last status."""
        webhook = self.get(webhook_id)
        if not self.store.delete(webhook_id):
            raise NotFoundError(f"no webhook {webhook_id}")
        return webhook
