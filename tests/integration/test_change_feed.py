"""The change feed (GET /v1/changes) against the real Neo4j: every history event exactly once,
in commit order, while batches commit concurrently."""

from __future__ import annotations

import random
import threading
import time
import traceback
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.bootstrap import Services
from app.changes import cursor
from app.changes.feed import ChangeFeed
from app.store.changes import Neo4jFeedStore, number_old_events
from app.store.graph_store import GraphStore
from graph_models.customers import OverrideRequest
from graph_models.records import SourceRecord
from tests.conftest import auth

pytestmark = pytest.mark.integration

WRITERS = 4
BATCHES = 4
BATCH_SIZE = 6


def source_record(source: str, rid: str, *pairs: tuple[str, str], **ids: str) -> SourceRecord:
    """A record with identifiers given as (kind, value) pairs (a kind twice) or keywords."""
    identifiers = [*pairs, *ids.items()]
    return SourceRecord.model_validate(
        {
            "source": source,
            "record_id": rid,
            "observed_at": "2026-11-01T12:00:00Z",
            "identifiers": [{"kind": k, "value": v} for k, v in identifiers],
        }
    )


def writer_batches(writer: int) -> list[list[SourceRecord]]:
    """Batches that touch emails other writers touch too (so batches merge each other's
    customers and wait for each other's locks) and now and then a second web account on
    an email (one account per source: a split)."""
    rng = random.Random(writer)
    batches = []
    for b in range(BATCHES):
        batch = []
        for r in range(BATCH_SIZE):
            ids = {"cookie": f"ck-{writer}-{b}-{r}", "email": f"p{rng.randrange(32)}@example.com"}
            if rng.random() < 0.3:
                ids["account"] = f"u-{rng.randrange(12)}"
            batch.append(source_record("web", f"w{writer}-{b}-{r}", **ids))
        batches.append(batch)
    return batches


def read_feed(client: TestClient, limit: int) -> list[dict[str, Any]]:
    """The whole feed through the API, page by page, resuming from `next` each time."""
    events: list[dict[str, Any]] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            params["after"] = after
        response = client.get("/v1/changes", params=params, headers=auth("reader"))
        assert response.status_code == 200, response.text
        page = response.json()
        events += page["changes"]
        if not page["changes"]:
            assert page["next"] == (after or cursor.encode(0))
            return events
        assert page["next"] == page["changes"][-1]["cursor"]
        after = page["next"]


def history_key(event: dict[str, Any]) -> tuple[Any, ...]:
    return (
        event["at"].replace("+00:00", "Z"),
        event["type"],
        event["customer_id"],
        tuple(event["before"]),
        tuple(event["after"]),
        event["reason"],
        event["trigger_record"],
    )


def test_concurrent_batches_appear_once_in_commit_order(
    client: TestClient, services: Services, store: GraphStore
) -> None:
    feed = ChangeFeed(Neo4jFeedStore(store))
    spans: list[tuple[float, float]] = []
    errors: list[str] = []
    done = threading.Event()
    live: list[dict[str, Any]] = []

    def write(writer: int) -> None:
        try:
            for batch in writer_batches(writer):
                started = time.monotonic()
                services.ingestion.ingest(batch)
                spans.append((started, time.monotonic()))
        except BaseException as exc:
            errors.append("".join(traceback.format_exception(exc)))

    def tail() -> None:
        """A client following the feed while the batches commit."""
        position = 0
        try:
            while True:
                finished = done.is_set()
                rows, _ = feed.events(position, 5)
                live.extend(rows)
                if rows:
                    position = rows[-1]["seq"]
                elif finished:
                    return
                else:
                    time.sleep(0.01)
        except BaseException as exc:
            errors.append("".join(traceback.format_exception(exc)))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    follower = threading.Thread(target=tail)
    follower.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    follower.join()
    assert not errors, "\n".join(errors)
    overlapping = sum(
        1 for i, (s1, e1) in enumerate(spans) for s2, e2 in spans[i + 1 :] if s1 < e2 and s2 < e1
    )
    assert overlapping > 0, "the batches never ran at the same time"

    concurrent = store.driver.execute_query(
        "MATCH (e:CustomerEvent) RETURN count(e) AS n", database_=store.database
    ).records[0]["n"]
    # Overrides and erasure write events through their own code paths. Whether the writers'
    # interleaving split a customer depends on thread timing, so a record first joins p1 and
    # p2 in one customer and the 'different' override then splits it, whatever the timing.
    services.ingestion.ingest(
        [
            source_record(
                "crm", "join-p1-p2", ("email", "p1@example.com"), ("email", "p2@example.com")
            )
        ]
    )
    services.overrides.add(
        OverrideRequest(
            a="email:p1@example.com",
            b="email:p2@example.com",
            decision="different",
            reason="t",
            actor="test",
        )
    )
    services.erasure.erase_identifier("email", "p3@example.com")

    events = read_feed(client, limit=7)
    sequences = [e["sequence"] for e in events]
    assert sequences == list(range(1, len(events) + 1)), "no gap, no duplicate, increasing"
    ids = [e["event_id"] for e in events]
    assert len(set(ids)) == len(ids)
    stored = store.driver.execute_query(
        "MATCH (e:CustomerEvent) RETURN e.event_id AS id", database_=store.database
    ).records
    assert sorted(ids) == sorted(r["id"] for r in stored), "every stored event is in the feed"
    types = {e["type"] for e in events}
    assert {"created", "merged", "split", "override", "erased"} <= types, types
    split = [e for e in events if e["type"] == "split" and e["sequence"] > concurrent]
    assert len(split) == 1 and len(split[0]["after"]) == 2, split

    # What the follower saw while the writers ran is exactly the start of the final feed.
    assert [r["event_id"] for r in live] == ids[: len(live)]
    assert [r["seq"] for r in live] == list(range(1, len(live) + 1))
    assert len(live) == concurrent

    # The same events as each customer's history.
    for customer_id in {e["customer_id"] for e in events}:
        history = client.get(f"/v1/customers/{customer_id}/history", params={"limit": 1000})
        assert history.status_code == 200, history.text
        told = {history_key(h) for h in history.json()["events"]}
        mine = [e for e in events if customer_id in (e["customer_id"], *e["before"], *e["after"])]
        assert {history_key(e) for e in mine} <= told


def test_bad_cursor_and_limit_are_422_naming_the_field(client: TestClient) -> None:
    for bad in ["x", "djE6LTE", cursor.encode(0) + "!", "a" * 40]:
        response = client.get("/v1/changes", params={"after": bad})
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"][0]["loc"] == ["query", "after"]
    for limit in [0, 1001, -1]:
        response = client.get("/v1/changes", params={"limit": limit})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "limit"]
    assert client.get("/v1/changes", headers=auth("reader")).status_code == 200
    assert client.get("/v1/changes", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_resuming_from_a_kept_cursor(client: TestClient, services: Services) -> None:
    services.ingestion.ingest([source_record("crm", "1", email="a@example.com")])
    first = client.get("/v1/changes").json()
    assert [e["type"] for e in first["changes"]] == ["created"]
    kept = first["next"]
    assert client.get("/v1/changes", params={"after": kept}).json()["changes"] == []
    services.ingestion.ingest([source_record("crm", "2", email="b@example.com", cookie="ck")])
    services.ingestion.ingest([source_record("web", "3", cookie="ck", email="a@example.com")])
    later = client.get("/v1/changes", params={"after": kept}).json()
    assert [(e["sequence"], e["type"]) for e in later["changes"]] == [(2, "created"), (3, "merged")]
    assert later["next"] == later["changes"][-1]["cursor"]
    one = client.get("/v1/changes", params={"after": kept, "limit": 1}).json()
    assert [e["sequence"] for e in one["changes"]] == [2] and one["has_more"] is True


def test_events_of_an_older_graph_are_numbered_in_time_order(store: GraphStore) -> None:
    """A graph written before the feed: events without a number get one at schema apply,
    oldest first, after the ones numbered already; a second run changes nothing."""
    database = store.database
    store.driver.execute_query(
        "UNWIND $rows AS row CREATE (:CustomerEvent {event_id: row.id, type: 'created', "
        "customer_id: row.id, before: [], after: [row.id], reason: 'old', "
        "at: datetime(row.at)})",
        rows=[
            {"id": "E-old-2", "at": "2026-01-02T00:00:00Z"},
            {"id": "E-old-1", "at": "2026-01-01T00:00:00Z"},
            {"id": "E-old-3", "at": "2026-01-03T00:00:00Z"},
        ],
        database_=database,
    )
    store.driver.execute_query(
        "MERGE (s:FeedSequence {name: 'customer-events'}) SET s.next = 5", database_=database
    )
    assert number_old_events(store.driver, database) == 3
    assert number_old_events(store.driver, database) == 0
    rows = ChangeFeed(Neo4jFeedStore(store)).events(0, 10)[0]
    assert [(r["seq"], r["event_id"]) for r in rows] == [
        (6, "E-old-1"),
        (7, "E-old-2"),
        (8, "E-old-3"),
    ]
    assert ChangeFeed(Neo4jFeedStore(store)).head() == 8
