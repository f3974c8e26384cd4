"""Webhook delivery: a background task of each API process pushes the stored change feed to
every subscription, one event per POST, in feed order, at least once.

Per subscription: take its lease (one process at a time), read the feed after its stored
cursor, POST each event it wants, and move the cursor past an event only after a 2xx. A
failure stops that subscription's round and holds it back (exponential back-off); the next
attempt re-sends the same event. A process killed mid-delivery loses nothing: its lease
expires and whichever process takes it next resumes from the stored cursor, so an event
may arrive twice (receivers de-duplicate by ``event_id``) but none is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
import httpx
from neo4j import Driver

from app.changes.feed import ChangeFeed, to_event
from app.core.config import Settings
from app.engine.ports import DeliveryStore
from app.store.changes import Neo4jFeedStore
from app.store.graph_store import BACKGROUND_RETRY_SECONDS, GraphStore
from app.store.webhooks import Neo4jWebhookStore
from app.webhooks import signing

log = logging.getLogger("idgraph.webhooks")

T = TypeVar("T")

#: Feed events read per step of one subscription.
PAGE = 100


def backoff(attempts: int, initial: float, maximum: float) -> float:
    """Seconds to wait after the ``attempts``-th failure in a row: initial, 2x, 4x ... max."""
    return float(min(maximum, initial * 2 ** min(attempts - 1, 62)))


class Deliverer:
    """Delivers the change feed to the subscriptions this process holds the lease of.

    Args:
        store: subscriptions, cursors and leases.
        feed: the change feed.
        settings: ``IDGRAPH_WEBHOOK_*`` (timeout, lease, back-off, poll interval).
        client: the HTTP client (tests pass one; default: one of its own).
    """

    def __init__(
        self,
        store: DeliveryStore,
        feed: ChangeFeed,
        settings: Settings,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.store = store
        self.feed = feed
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.client = client or httpx.AsyncClient(
            timeout=settings.webhook_timeout, follow_redirects=False
        )

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(fn, *args)

    async def run_forever(self) -> None:
        """Deliver, sleep the poll interval, repeat; errors are logged, never raised."""
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # Neo4j down: keep trying, /readyz tells the operator
                log.warning("webhooks: delivery round failed (%s)", type(exc).__name__)
            await asyncio.sleep(self.settings.webhook_poll_interval)

    async def run_once(self) -> None:
        """One round over every subscription, each on its own."""
        ids = await self._call(self.store.ids)
        results = await asyncio.gather(*(self.deliver(i) for i in ids), return_exceptions=True)
        for webhook_id, result in zip(ids, results, strict=True):
            if isinstance(result, Exception):
                log.warning("webhooks: %s not delivered (%s)", webhook_id, type(result).__name__)

    async def deliver(self, webhook_id: str) -> None:
        """Deliver one subscription's pending events, if this process gets its lease."""
        lease = self.settings.webhook_lease_seconds
        subscription = await self._call(self.store.lease, webhook_id, self.owner, lease)
        if subscription is None or not subscription["ready"]:
            return
        wanted = set(subscription["event_types"] or [])
        position = subscription["cursor"]
        while True:
            rows, more = await self._call(self.feed.events, position, PAGE)
            if not rows:
                return
            skipped: int | None = None  # last event the filter passed over, not yet stored
            for row in rows:
                if wanted and row["type"] not in wanted:
                    skipped = row["seq"]
                    continue
                error = await self.post(webhook_id, subscription, row)
                if error is not None:
                    if skipped is not None:
                        await self._advance(webhook_id, skipped, 0)
                    attempts = subscription["attempts"] + 1
                    delay = backoff(
                        attempts,
                        self.settings.webhook_backoff_initial,
                        self.settings.webhook_backoff_max,
                    )
                    await self._call(self.store.fail, webhook_id, self.owner, error, delay)
                    log.info(
                        "webhooks: %s event %d failed (%s), attempt %d, next in %.1f s",
                        webhook_id,
                        row["seq"],
                        error,
                        attempts,
                        delay,
                    )
                    return
                subscription["attempts"] = 0
                skipped = None
                if not await self._advance(webhook_id, row["seq"], 1):
                    return  # lease lost (or subscription deleted): someone else goes on
            if skipped is not None and not await self._advance(webhook_id, skipped, 0):
                return
            position = rows[-1]["seq"]
            if not more:
                return

    async def _advance(self, webhook_id: str, sequence: int, delivered: int) -> bool:
        lease = self.settings.webhook_lease_seconds
        return await self._call(
            self.store.advance, webhook_id, self.owner, sequence, delivered, lease
        )

    async def post(
        self, webhook_id: str, subscription: dict[str, Any], row: dict[str, Any]
    ) -> str | None:
        """POST one event, signed; None on a 2xx, else what went wrong (no body, no secret)."""
        event = to_event(row)
        body = event.model_dump_json().encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "idgraph-webhooks",
            signing.TIMESTAMP_HEADER: str(timestamp),
            signing.SIGNATURE_HEADER: signing.sign(subscription["secret"], timestamp, body),
            signing.EVENT_HEADER: event.event_id,
            signing.WEBHOOK_HEADER: webhook_id,
        }
        try:
            response = await self.client.post(subscription["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return type(exc).__name__
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    async def close(self) -> None:
        """Give up this process's leases (another process takes over at once) and close."""
        try:
            await self._call(self.store.release, self.owner)
        except Exception as exc:
            log.warning("webhooks: leases not released (%s); they expire", type(exc).__name__)
        await self.client.aclose()


class DeliveryTask:
    """The deliverer running as a background task of the API process (see ``lifespan``)."""

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer
        self.task = asyncio.get_running_loop().create_task(
            deliverer.run_forever(), name="webhook-delivery"
        )

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.deliverer.close()


def start(driver: Driver, settings: Settings) -> DeliveryTask:
    """Start delivering webhooks from this process (call from the running event loop)."""
    store = GraphStore(driver, settings.neo4j_database, retry_time=BACKGROUND_RETRY_SECONDS)
    feed = ChangeFeed(Neo4jFeedStore(store))
    return DeliveryTask(Deliverer(Neo4jWebhookStore(store), feed, settings))
