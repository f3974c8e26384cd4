"""Retention against the real Neo4j: expired records and identifiers go the way erasure
takes them, and the graph left is the one ingesting only what remains would build."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app as cli
from app.core.config import Settings, get_settings
from app.ingest.service import IngestService
from app.main import create_app
from app.privacy.retention.rules import parse_rules
from app.privacy.retention.service import RetentionService
from graph_models.records import SourceRecord
from tests.conftest import auth
from tests.integration.test_erasure import everything

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, tzinfo=UTC)
RULES = json.dumps(
    [
        {"name": "callcentre", "source": "callcentre", "keep_for": "2 years"},
        {"name": "cookies", "kind": "cookie", "keep_for": "13 months"},
    ]
)


def record(source: str, record_id: str, at: str, *ids: tuple[str, str], **attrs: str) -> dict:
    return {
        "source": source,
        "record_id": record_id,
        "observed_at": at,
        "identifiers": [{"kind": k, "value": v} for k, v in ids],
        "attributes": attrs,
    }


EMAIL = ("email", "ottoline@example.org")
P1 = ("phone", "+1 415 555 0101")
CRM_NEW = record("crm", "c-1", "2026-11-01T00:00:00Z", EMAIL, P1, first_name="Ottoline")
# Expired (2 years): its only-here phone and note go; the shared phone P1 stays (crm).
CALL_OLD = record(
    "callcentre",
    "cc-1",
    "2023-06-01T00:00:00Z",
    P1,
    ("phone", "+1 415 555 0199"),
    note="refund for parcel 8841",
)
# Expired, and the only record of its customer: the customer is retired.
CALL_OLD_ALONE = record(
    "callcentre", "cc-2", "2024-01-01T00:00:00Z", ("email", "zebedee@example.org")
)
CALL_NEW = record("callcentre", "cc-3", "2026-10-01T00:00:00Z", ("phone", "+1 415 555 0103"))
WEB_OLD = record("web", "w-1", "2025-06-01T00:00:00Z", ("cookie", "ck-old-1"))
# Its cookie expires (13 months after last seen); the record keeps the email and attributes.
WEB_MIX = record(
    "web", "w-2", "2025-05-01T00:00:00Z", ("cookie", "ck-old-2"), EMAIL, last_name="Quill"
)
WEB_NEW = record("web", "w-3", "2026-11-15T00:00:00Z", ("cookie", "ck-new"))
# Seen long ago and lately: last seen lately, kept.
WEB_BOTH_OLD = record("web", "w-4", "2025-01-01T00:00:00Z", ("cookie", "ck-both"))
WEB_BOTH_NEW = record("web", "w-5", "2026-11-20T00:00:00Z", ("cookie", "ck-both"))

ALL = [
    CRM_NEW,
    CALL_OLD,
    CALL_OLD_ALONE,
    CALL_NEW,
    WEB_OLD,
    WEB_MIX,
    WEB_NEW,
    WEB_BOTH_OLD,
    WEB_BOTH_NEW,
]
# What ingesting only what retention leaves would store.
REMAINING = [
    CRM_NEW,
    CALL_NEW,
    {**WEB_MIX, "identifiers": [{"kind": "email", "value": EMAIL[1]}]},
    WEB_NEW,
    WEB_BOTH_OLD,
    WEB_BOTH_NEW,
]
GONE_VALUES = ("+14155550199", "8841", "zebedee@example.org", "ck-old-1", "ck-old-2")


def ingest(services: Any, records: list[dict]) -> list[str]:
    ingestion: IngestService = services.ingestion
    results = ingestion.ingest([SourceRecord.model_validate(r) for r in records])
    return [r.customer_id for r in results]


def state(store: Any) -> dict[str, Any]:
    """The graph up to customer ids and times: partition, records, identifiers, links."""

    def rows(query: str) -> list[dict[str, Any]]:
        return [r.data() for r in store.driver.execute_query(query).records]

    partition = {
        frozenset(r["members"])
        for r in rows(
            "MATCH (i:Identifier)-[:BELONGS_TO]->(c:Customer) "
            "RETURN c.customer_id AS c, collect(i.key) AS members"
        )
    }
    records = {
        r["key"]: r["props"]
        for r in rows(
            "MATCH (r:Record) RETURN r.key AS key, "
            "[k IN keys(r) WHERE k STARTS WITH 'attr_' | [k, r[k]]] AS props"
        )
    }
    identifiers = {r["key"] for r in rows("MATCH (i:Identifier) RETURN i.key AS key")}
    links = {
        (r["a"], r["b"], r["t"], tuple(sorted(r["records"] or [])))
        for r in rows(
            "MATCH (a:Identifier)-[l:LINKED|SIMILAR]->(b:Identifier) "
            "RETURN a.key AS a, b.key AS b, type(l) AS t, l.records AS records"
        )
    }
    observed = {
        (r["r"], r["i"])
        for r in rows("MATCH (r:Record)-[:OBSERVED]->(i:Identifier) RETURN r.key AS r, i.key AS i")
    }
    return {
        "partition": partition,
        "records": records,
        "identifiers": identifiers,
        "links": links,
        "observed": observed,
    }


def retention(services: Any, settings: Settings, batch_size: int = 500) -> RetentionService:
    return RetentionService(
        services.store,
        services.engine,
        services.retention.suppression,
        parse_rules(RULES),
        batch_size,
    )


@pytest.fixture
def expected(services, store) -> dict[str, Any]:
    """The oracle: the state ingesting only the remaining records builds (then wiped)."""
    ingest(services, REMAINING)
    built = state(store)
    store.wipe()
    return built


def test_dry_run_lists_what_would_go_and_changes_nothing(services, store, neo4j_settings) -> None:
    ingest(services, ALL)
    before = everything(store)
    report = retention(services, neo4j_settings).apply(dry_run=True, now=NOW)
    assert report.dry_run and report.complete
    callcentre, cookies = report.rules
    assert (callcentre.expired, callcentre.record_refs) == (
        2,
        ["callcentre|cc-1", "callcentre|cc-2"],
    )
    assert (cookies.expired, cookies.record_refs) == (2, ["web|w-1", "web|w-2"])
    assert callcentre.cutoff == datetime(2024, 12, 1, tzinfo=UTC)
    assert cookies.cutoff == datetime(2025, 11, 1, tzinfo=UTC)
    assert everything(store) == before


def test_apply_matches_ingesting_only_what_remains_and_resumes(
    services, store, neo4j_settings, expected
) -> None:
    ids = ingest(services, ALL)
    otto, zebedee = ids[0], ids[2]
    assert ids[1] == otto  # the old call joined Ottoline through P1

    # A run stopped after one transaction (as if killed) removed one record, no more.
    first = retention(services, neo4j_settings, batch_size=1).apply(max_batches=1, now=NOW)
    assert not first.complete
    assert [o.expired for o in first.rules] == [1, 0]
    assert "callcentre|cc-1" not in state(store)["records"]
    assert "callcentre|cc-2" in state(store)["records"]

    # Running again finishes the work, in batches of one.
    second = retention(services, neo4j_settings, batch_size=1).apply(now=NOW)
    assert second.complete
    callcentre, cookies = second.rules
    assert (callcentre.expired, callcentre.batches, callcentre.records_deleted) == (1, 1, 1)
    assert (cookies.expired, cookies.records_deleted, cookies.records_scrubbed) == (2, 1, 1)
    assert cookies.identifiers_removed == 2

    assert state(store) == expected
    dump = everything(store)
    assert [v for v in GONE_VALUES if v in dump] == []
    assert "Quill" in dump  # the record that lost its cookie kept its attributes

    # History: a retention event naming the rule, with no personal values.
    history = services.customers.history(otto, 0, 100).events
    events = [e for e in history if e.type == "retention"]
    assert [e.reason.split(":")[0] for e in events] == [
        "retention rule callcentre (source callcentre, 2 years after observed_at)",
        "retention rule cookies (kind cookie, 13 months after last_seen)",
    ]
    assert all("555" not in e.reason and "ck-" not in e.reason for e in history)
    alone = services.customers.history(zebedee, 0, 100).events
    assert {"retention", "retired"} <= {e.type for e in alone}

    # Nothing left to do: a third run removes nothing.
    third = retention(services, neo4j_settings).apply(now=NOW)
    assert [o.expired for o in third.rules] == [0, 0]


def test_cli_dry_run_then_apply(cli_env, services, monkeypatch) -> None:
    ingest(services, ALL)
    monkeypatch.setenv("IDGRAPH_RETENTION_RULES", RULES)
    runner = CliRunner()
    dry = runner.invoke(cli, ["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "nothing was changed" in dry.output
    assert "callcentre|cc-1" in dry.output and "web|w-1" in dry.output
    assert "8841" not in dry.output and "+1415" not in dry.output
    assert "callcentre|cc-1" in state(cli_env)["records"]

    applied = runner.invoke(cli, ["retention", "apply", "--batch-size", "1"])
    assert applied.exit_code == 0, applied.output
    assert "callcentre|cc-1" not in state(cli_env)["records"]
    assert "web|w-1" not in state(cli_env)["records"]

    monkeypatch.setenv("IDGRAPH_RETENTION_RULES", '[{"kind": "cookie"}]')
    get_settings.cache_clear()
    bad = runner.invoke(cli, ["retention", "apply"])
    assert bad.exit_code == 1
    assert "rule 0: keep_for: Field required" in bad.output
    monkeypatch.setenv("IDGRAPH_RETENTION_RULES", "")
    get_settings.cache_clear()
    none = runner.invoke(cli, ["retention", "apply"])
    assert none.exit_code == 1 and "no retention rules" in none.output


def test_periodic_run_in_the_api_removes_expired_records_and_stops(
    store, api_settings: Settings
) -> None:
    settings = api_settings.model_copy(
        update={"retention_rules": RULES, "retention_interval": 0.2, "webhook_delivery": False}
    )
    with TestClient(create_app(settings), headers=auth("admin")) as client:
        posted = client.post("/v1/records", json={"records": [CALL_OLD_ALONE, CALL_NEW]})
        assert posted.status_code == 200
        deadline = time.monotonic() + 30
        while "callcentre|cc-2" in state(store)["records"] and time.monotonic() < deadline:
            assert client.get("/healthz").status_code == 200  # the loop keeps serving
            time.sleep(0.1)
        assert "callcentre|cc-2" not in state(store)["records"]
        assert "callcentre|cc-3" in state(store)["records"]
        runner = client.app.state.retention  # type: ignore[attr-defined]
    assert runner.stopping.is_set() and runner.task.done()


def test_bad_rules_stop_the_api_from_starting(store, api_settings: Settings) -> None:
    settings = api_settings.model_copy(
        update={"retention_rules": '[{"source": "crm", "keep_for": "soon"}]'}
    )
    with pytest.raises(Exception, match="rule 0: keep_for"), TestClient(create_app(settings)):
        pass
