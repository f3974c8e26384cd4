"""``GET /metrics``: request and domain counters, parsed as Prometheus parses them."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from neo4j.exceptions import CypherSyntaxError
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app.core.config import Settings
from app.main import create_app
from app.store.graph_store import GraphStore
from tests.conftest import auth

pytestmark = pytest.mark.integration


def scrape(
    client: TestClient, **kwargs: Any
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by (name, sorted labels)."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def record(record_id: str, email: str, phone: str) -> dict[str, Any]:
    return {
        "source": "crm",
        "record_id": record_id,
        "identifiers": [{"kind": "email", "value": email}, {"kind": "phone", "value": phone}],
    }


def test_ingest_is_counted_by_route_template(client: TestClient) -> None:
    ingest = {"route": "/v1/records", "method": "POST", "status": "200"}
    profile = {"route": "/v1/customers/{customer_id}", "method": "GET", "status": "404"}
    before = scrape(client)

    first = client.post(
        "/v1/records",
        json={
            "records": [
                record("m-1", "ann@example.com", "+14155550101"),
                record("m-2", "bob@example.com", "+14155550102"),
            ]
        },
    )
    assert first.status_code == 200, first.text
    # A third record joins ann's and bob's customers: one merge.
    bridge = client.post(
        "/v1/records", json={"records": [record("m-3", "ann@example.com", "+14155550102")]}
    )
    assert bridge.status_code == 200, bridge.text
    assert client.get("/v1/customers/C-no-such-id").status_code == 404

    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("idgraph_http_requests_total", **ingest) == 2
    assert delta("idgraph_http_request_duration_seconds_count", **ingest) == 2
    assert delta("idgraph_http_requests_total", **profile) == 1  # the template, not the id
    assert not any("C-no-such-id" in dict(labels).get("route", "") for _, labels in after)
    assert delta("idgraph_records_ingested_total") == 3
    assert delta("idgraph_customer_changes_total", type="created") == 2
    assert delta("idgraph_customer_changes_total", type="merged") == 1
    assert value(after, "idgraph_shared_identifiers") == 0


def test_protected_metrics_need_a_reader_key(api_settings: Settings) -> None:
    with TestClient(create_app(api_settings)) as anonymous:
        refused = anonymous.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert scrape(anonymous, headers=auth("reader"))


def test_public_metrics_need_no_key(api_settings: Settings) -> None:
    public = api_settings.model_copy(update={"metrics_public": True})
    with TestClient(create_app(public)) as anonymous:
        assert scrape(anonymous)


def test_metrics_are_not_in_the_openapi_document(api_settings: Settings) -> None:
    assert "/metrics" not in create_app(api_settings).openapi()["paths"]


def _counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_deadlocks_are_retried_and_counted(store: GraphStore) -> None:
    """Two write transactions lock two nodes in opposite orders: Neo4j detects the
    deadlock, fails one, the driver runs it again, and the re-run is counted."""
    store.in_write_transaction(
        lambda unit: unit.tx.run(
            "CREATE (:DeadlockProbe {n: 1}), (:DeadlockProbe {n: 2})"
        ).consume()
    )
    both_locked_one = threading.Barrier(2, timeout=30)
    retries_before = _counter("idgraph_neo4j_retries_total")
    errors: list[BaseException] = []

    def lock(first: int, second: int) -> None:
        attempts = 0

        def work(unit: Any) -> None:
            nonlocal attempts
            attempts += 1
            set_owner = "MATCH (p:DeadlockProbe {n: $n}) SET p.owner = $owner"
            unit.tx.run(set_owner, n=first, owner=first).consume()
            if attempts == 1:  # only the first run waits: a re-run goes straight through
                both_locked_one.wait()
            unit.tx.run(set_owner, n=second, owner=first).consume()

        try:
            store.in_write_transaction(work)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=lock, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert _counter("idgraph_neo4j_retries_total") - retries_before >= 1


def test_neo4j_errors_are_counted_by_class(store: GraphStore) -> None:
    before = _counter("idgraph_neo4j_errors_total", error="CypherSyntaxError")
    with pytest.raises(CypherSyntaxError):
        store.in_read_transaction(lambda unit: unit.tx.run("THIS IS NOT CYPHER").consume())
    assert _counter("idgraph_neo4j_errors_total", error="CypherSyntaxError") - before == 1
