"""Webhooks against the real Neo4j and a real receiver on 127.0.0.1: subscriptions, signed
delivery in feed order, back-off, leases, lag, and no loss when the API is killed."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.bootstrap import Services
from app.changes import cursor
from app.changes.feed import ChangeFeed
from app.core.config import Settings
from app.store.changes import Neo4jFeedStore
from app.store.graph_store import GraphStore
from app.store.webhooks import Neo4jWebhookStore
from app.webhooks import signing
from app.webhooks.delivery import Deliverer, backoff
from graph_models.records import SourceRecord
from tests.api_process import ApiProcess, wait_for
from tests.conftest import TEST_HTTP_PORT, auth

pytestmark = pytest.mark.integration

SECRET = "test-secret-0123456789"
API_PORT = TEST_HTTP_PORT + 2  # the subprocess API, next to this session's Neo4j ports
#: Quick delivery, short leases: the SIGKILL test runs in seconds.
DELIVERY_ENV = {
    "IDGRAPH_WEBHOOK_POLL_INTERVAL": "0.2",
    "IDGRAPH_WEBHOOK_LEASE_SECONDS": "3",
    "IDGRAPH_WEBHOOK_TIMEOUT": "2",
    "IDGRAPH_WEBHOOK_BACKOFF_INITIAL": "0.2",
}


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST (body, headers) as it arrives,
    then answers after ``delay`` seconds with the status ``answer`` gives."""

    def __init__(self, delay: float = 0.0, answer: Callable[[int], int] = lambda n: 200) -> None:
        self.delay = delay
        self.answer = answer
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    n = len(receiver.received)
                    receiver.received.append({"body": body, "headers": dict(self.headers)})
                time.sleep(receiver.delay)
                self.send_response(receiver.answer(n))
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.received]

    def first_arrivals(self) -> list[str]:
        return list(dict.fromkeys(e["event_id"] for e in self.events()))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def record(rid: str, **ids: str) -> SourceRecord:
    identifiers = [{"kind": k, "value": v} for k, v in ids.items()]
    return SourceRecord.model_validate(
        {"source": "web", "record_id": rid, "identifiers": identifiers}
    )


def ingest(services: Services, prefix: str, triples: int) -> None:
    """Per triple, one batch each: a cookie (created), an email (created), then both
    (merged): three events."""
    for k in range(triples):
        cookie, email = f"{prefix}-ck-{k}", f"{prefix}-{k}@example.com"
        services.ingestion.ingest([record(f"{prefix}-{k}-a", cookie=cookie)])
        services.ingestion.ingest([record(f"{prefix}-{k}-b", email=email)])
        services.ingestion.ingest([record(f"{prefix}-{k}-c", cookie=cookie, email=email)])


def feed_ids(store: GraphStore) -> list[str]:
    rows, _ = ChangeFeed(Neo4jFeedStore(store)).events(0, 10_000)
    return [r["event_id"] for r in rows]


def assert_signed(received: list[dict[str, Any]], secret: str) -> None:
    for r in received:
        headers = {k.lower(): v for k, v in r["headers"].items()}
        assert signing.verify(
            secret, headers["x-idgraph-timestamp"], r["body"], headers["x-idgraph-signature"]
        ), "signature does not verify"
        assert abs(int(headers["x-idgraph-timestamp"]) - time.time()) < 600
        assert headers["x-idgraph-event-id"] == json.loads(r["body"])["event_id"]


# --------------------------------------------------------------------------- the API


@pytest.fixture
def quiet_client(store: GraphStore, api_settings: Settings) -> Iterator[TestClient]:
    """An admin client of an app whose deliverer is off (the test drives delivery)."""
    from app.main import create_app

    settings = api_settings.model_copy(update={"webhook_delivery": False})
    with TestClient(create_app(settings), headers=auth("admin")) as client:
        yield client


def test_subscriptions_are_validated_and_the_secret_shown_once(quiet_client: TestClient) -> None:
    client = quiet_client
    bad = [
        ({"url": "ftp://example.com/x"}, ["body", "url"]),
        ({"url": "not a url"}, ["body", "url"]),
        ({"url": "https://example.com", "event_types": ["nope"]}, ["body", "event_types", 0]),
        ({"url": "https://example.com", "secret": "short"}, ["body", "secret"]),
        ({"url": "https://example.com", "after": "garbage"}, ["body", "after"]),
        ({"url": "https://example.com", "colour": "red"}, ["body", "colour"]),
    ]
    for body, loc in bad:
        response = client.post("/v1/webhooks", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"][0]["loc"] == loc, response.json()
    reader = client.post("/v1/webhooks", json={"url": "https://x.example"}, headers=auth("reader"))
    assert reader.status_code == 403
    assert client.get("/v1/webhooks", headers=auth("writer")).status_code == 403

    created = client.post(
        "/v1/webhooks", json={"url": "https://crm.example.com/hook", "event_types": ["merged"]}
    )
    assert created.status_code == 201, created.text
    webhook = created.json()
    assert webhook["secret"].startswith("whsec-") and len(webhook["secret"]) > 30
    assert webhook["event_types"] == ["merged"]
    assert webhook["status"]["cursor"] == cursor.encode(0)
    listed = client.get("/v1/webhooks").json()["webhooks"]
    assert [w["webhook_id"] for w in listed] == [webhook["webhook_id"]]
    one = client.get(f"/v1/webhooks/{webhook['webhook_id']}").json()
    assert "secret" not in one and "secret" not in listed[0]
    assert webhook["secret"] not in json.dumps(listed)
    assert client.delete(f"/v1/webhooks/{webhook['webhook_id']}").status_code == 200
    assert client.get(f"/v1/webhooks/{webhook['webhook_id']}").status_code == 404
    assert client.delete(f"/v1/webhooks/{webhook['webhook_id']}").status_code == 404


def test_a_new_subscription_starts_at_the_end_and_lag_is_a_metric(
    quiet_client: TestClient, services: Services, store: GraphStore
) -> None:
    ingest(services, "old", 1)
    client = quiet_client
    now_on = client.post("/v1/webhooks", json={"url": "https://a.example/h"}).json()
    everything = client.post(
        "/v1/webhooks", json={"url": "https://b.example/h", "after": cursor.encode(0)}
    ).json()
    head = len(feed_ids(store))
    assert head == 3  # created, created, merged
    assert now_on["status"]["sequence"] == head and now_on["status"]["lag_events"] == 0
    assert everything["status"]["sequence"] == 0 and everything["status"]["lag_events"] == head
    assert everything["status"]["lag_seconds"] >= 0

    ingest(services, "new", 1)
    scrape = client.get("/metrics")
    assert scrape.status_code == 200
    lag = {
        (s.name, s.labels["webhook_id"]): s.value
        for family in text_string_to_metric_families(scrape.text)
        for s in family.samples
        if s.name.startswith("idgraph_webhook_lag")
    }
    assert lag[("idgraph_webhook_lag_events", now_on["webhook_id"])] == 3
    assert lag[("idgraph_webhook_lag_events", everything["webhook_id"])] == 6
    assert lag[("idgraph_webhook_lag_seconds", everything["webhook_id"])] >= 0
    client.delete(f"/v1/webhooks/{now_on['webhook_id']}")
    scrape = client.get("/metrics").text
    assert now_on["webhook_id"] not in scrape and everything["webhook_id"] in scrape


# --------------------------------------------------------------------------- delivery


def delivery_settings(neo4j_settings: Settings) -> Settings:
    # Back-off long enough that this busy machine's slowest step cannot outlast it; the
    # test makes the time pass by moving next_attempt_at (see time_passes).
    return neo4j_settings.model_copy(
        update={"webhook_backoff_initial": 30, "webhook_backoff_max": 45, "webhook_timeout": 5}
    )


def time_passes(store: GraphStore, webhook_id: str) -> None:
    """The back-off of a subscription ends now."""
    store.driver.execute_query(
        "MATCH (w:WebhookSubscription {webhook_id: $id}) SET w.next_attempt_at = datetime()",
        id=webhook_id,
        database_=store.database,
    )


def backoff_seconds(status: dict[str, Any]) -> float:
    start = datetime.fromisoformat(status["last_error_at"])
    return (datetime.fromisoformat(status["next_attempt_at"]) - start).total_seconds()


def subscribe(store: GraphStore, url: str, event_types: list[str], after: int = 0) -> str:
    Neo4jWebhookStore(store).create(
        {
            "webhook_id": "W-test",
            "url": url,
            "event_types": event_types,
            "secret": SECRET,
            "cursor": after,
            "now": "2026-11-01T12:00:00+00:00",
        }
    )
    return "W-test"


def test_backoff_doubles_up_to_the_maximum() -> None:
    assert [backoff(n, 1.0, 10.0) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert backoff(10_000, 1.0, 600.0) == 600


def test_failures_back_off_then_the_same_event_is_delivered(
    services: Services, store: GraphStore, neo4j_settings: Settings
) -> None:
    """Filtered: only merges. The receiver answers 503 twice: the attempt count, error and
    back-off show in the status, the cursor stays, and the third attempt succeeds."""
    receiver = Receiver(answer=lambda n: 503 if n < 2 else 204)
    ingest(services, "a", 2)  # created, created, merged, twice
    webhook_id = subscribe(store, receiver.url, ["merged"])
    subscriptions = Neo4jWebhookStore(store)
    settings = delivery_settings(neo4j_settings)
    deliverer = Deliverer(subscriptions, ChangeFeed(Neo4jFeedStore(store)), settings)

    async def scenario() -> None:
        await deliverer.deliver(webhook_id)
        status = subscriptions.status(webhook_id)[0]
        assert status["attempts"] == 1 and status["last_error"] == "HTTP 503"
        assert status["cursor"] == 2  # the two creations before the first merge: skipped
        assert backoff_seconds(status) == 30 and status["delivered"] == 0
        await deliverer.deliver(webhook_id)  # backing off: no request
        assert len(receiver.received) == 1
        time_passes(store, webhook_id)
        await deliverer.deliver(webhook_id)
        status = subscriptions.status(webhook_id)[0]
        assert status["attempts"] == 2 and backoff_seconds(status) == 45  # 60, capped
        time_passes(store, webhook_id)
        await deliverer.deliver(webhook_id)
        await deliverer.close()

    try:
        asyncio.run(scenario())
        status = subscriptions.status(webhook_id)[0]
        assert status["attempts"] == 0 and status["delivered"] == 2
        assert status["last_success_at"] is not None and status["lag_events"] == 0
        assert status["last_error"] == "HTTP 503"  # the last error is kept
        events = receiver.events()
        assert [e["type"] for e in events] == ["merged"] * 4  # 503, 503, 204, 204
        first = events[0]["event_id"]
        assert [e["event_id"] for e in events[:3]] == [first] * 3, "the same event, re-sent"
        assert [e["sequence"] for e in events] == sorted(e["sequence"] for e in events)
        assert_signed(receiver.received, SECRET)
    finally:
        receiver.close()


def test_one_process_at_a_time_delivers_a_subscription(
    services: Services, store: GraphStore, neo4j_settings: Settings, receiver: Receiver
) -> None:
    ingest(services, "b", 2)
    webhook_id = subscribe(store, receiver.url, [])
    settings = delivery_settings(neo4j_settings)
    subscriptions = Neo4jWebhookStore(store)
    first = Deliverer(subscriptions, ChangeFeed(Neo4jFeedStore(store)), settings)
    second = Deliverer(subscriptions, ChangeFeed(Neo4jFeedStore(store)), settings)
    assert subscriptions.lease(webhook_id, first.owner, 60) is not None
    assert subscriptions.lease(webhook_id, second.owner, 60) is None

    async def scenario() -> None:
        await second.deliver(webhook_id)
        assert receiver.received == []  # the first one holds the lease
        await first.close()  # gives it up
        await second.deliver(webhook_id)
        await second.close()

    asyncio.run(scenario())
    assert [e["event_id"] for e in receiver.events()] == feed_ids(store)
    # A lease that has expired is taken over.
    assert subscriptions.lease(webhook_id, "dead-process", 1) is not None
    time.sleep(1.2)
    assert subscriptions.lease(webhook_id, "live-process", 60) is not None


# --------------------------------------------------------------------------- kill -9


@pytest.mark.slow
def test_killed_api_loses_no_event(
    services: Services, store: GraphStore, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """A slow receiver; the API is killed with SIGKILL after some deliveries, restarted,
    and every event arrives, first arrivals in feed order, each signed."""
    receiver = Receiver(delay=0.15)
    api = ApiProcess(neo4j_settings, tmp_path / "api.log", API_PORT, env=DELIVERY_ENV)
    try:
        ingest(services, "k", 12)  # 24 creations, 12 merges
        expected = feed_ids(store)
        assert len(expected) == 36
        api.start()
        created = api.post(
            "/v1/webhooks",
            {"url": receiver.url, "secret": SECRET, "after": cursor.encode(0)},
        )
        assert created.status_code == 201, created.text
        webhook_id = created.json()["webhook_id"]

        wait_for(lambda: len(receiver.first_arrivals()) >= 8, 60, "some deliveries")
        api.kill()
        seen_before_kill = len(receiver.first_arrivals())
        assert seen_before_kill < len(expected), "killed too late: everything had arrived"
        status = store.driver.execute_query(
            "MATCH (w:WebhookSubscription {webhook_id: $id}) RETURN w.cursor AS c",
            id=webhook_id,
            database_=store.database,
        ).records[0]["c"]
        assert status < len(expected)

        api.start()
        ingest(services, "after", 1)  # events after the restart come too
        expected = feed_ids(store)
        wait_for(
            lambda: set(receiver.first_arrivals()) >= set(expected), 120, "every event to arrive"
        )
        assert receiver.first_arrivals() == expected, "first arrivals in feed order"
        assert_signed(receiver.received, SECRET)
        duplicates = len(receiver.received) - len(expected)
        print(f"killed after {seen_before_kill} of 36 events; {duplicates} delivered twice")

        def caught_up() -> bool:
            webhook = api.get(f"/v1/webhooks/{webhook_id}").json()
            return webhook["status"]["lag_events"] == 0

        wait_for(caught_up, 30, "the stored cursor to reach the end")
        webhook = api.get(f"/v1/webhooks/{webhook_id}").json()
        assert webhook["status"]["sequence"] == len(expected)
        assert webhook["status"]["last_success_at"] is not None
    finally:
        api.stop()
        receiver.close()
