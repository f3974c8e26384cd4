"""``idgraph backup`` / ``idgraph restore`` against a real local Neo4j of the test's own.

The test starts its own server (ports next to the session's, its own state directory), so
stopping it for the dump does not stop the session's server. It builds a graph with every
kind of state idgraph keeps (customers from co-observations and look-alike evidence, a
merge, a policy split, a quarantined identifier, overrides, a fitted match model, history),
backs it up, wipes it, restores it, and compares everything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.backup.catalog import BackupCatalog
from app.bootstrap import Opened
from app.cli import app
from app.core.config import Settings, get_settings
from app.engine.matching import default_model
from app.provision.neo4j_server import LocalNeo4j
from app.sampledata.generator import generate
from graph_models.customers import OverrideDecision, OverrideRequest
from graph_models.records import SourceRecord
from tests.conftest import TEST_BOLT_PORT, TEST_HTTP_PORT, local_settings, point_cli_at

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BOLT_PORT = TEST_BOLT_PORT + 10
HTTP_PORT = TEST_HTTP_PORT + 10


@pytest.fixture
def own_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    if os.environ.get("NEO4J_URI"):
        pytest.skip("the session uses an external Neo4j; idgraph backs up only its local one")
    settings = local_settings(tmp_path / "state", BOLT_PORT, HTTP_PORT)
    server = LocalNeo4j(settings)
    server.start()
    point_cli_at(monkeypatch, settings)
    get_settings.cache_clear()
    try:
        yield settings, server
    finally:
        server.stop()
        get_settings.cache_clear()


def _node(labels: list[str], props: dict[str, Any]) -> str:
    return repr((sorted(labels), sorted(props.items())))


def everything(settings: Settings) -> tuple[list[str], list[str]]:
    """Every node (labels, properties) and relationship (type, both ends, properties), but
    the audit log, which records the backup and the restore themselves (checked apart)."""
    with Opened.connect(settings) as opened:
        nodes = opened.driver.execute_query(
            "MATCH (n) WHERE NOT n:AuditEntry RETURN labels(n) AS labels, properties(n) AS props"
        ).records
        rels = opened.driver.execute_query(
            "MATCH (a)-[r]->(b) RETURN type(r) AS type, labels(a) AS la, properties(a) AS pa, "
            "labels(b) AS lb, properties(b) AS pb, properties(r) AS props"
        ).records
    return (
        sorted(_node(n["labels"], n["props"]) for n in nodes),
        sorted(
            repr(
                (
                    r["type"],
                    _node(r["la"], r["pa"]),
                    _node(r["lb"], r["pb"]),
                    sorted(r["props"].items()),
                )
            )
            for r in rels
        ),
    )


def what_idgraph_answers(settings: Settings, override_ids: list[str]) -> dict[str, Any]:
    """The partition, every customer's history, the overrides and the model, as the
    services answer them."""
    with Opened.connect(settings) as opened:
        services = opened.services
        rows = opened.driver.execute_query(
            "MATCH (i:Identifier) RETURN i.key AS key, i.customer_id AS cid ORDER BY key"
        ).records
        partition = {r["key"]: r["cid"] for r in rows}
        ids = sorted({c for c in partition.values() if c})
        return {
            "partition": partition,
            "history": {
                c: services.customers.history(c, limit=1000).model_dump_json() for c in ids
            },
            "overrides": [services.overrides.get(o).model_dump_json() for o in override_ids],
            "model": services.models.current().to_json(),
        }


def build_graph(settings: Settings) -> list[str]:
    records = [SourceRecord.model_validate(r) for r in generate(40, seed=20261201).records]
    with Opened.connect(settings) as opened:
        services = opened.services
        for start in range(0, len(records), 200):
            services.ingestion.ingest(records[start : start + 200])
        services.models.fit()
        services.models.rematch()
        rows = opened.driver.execute_query(
            "MATCH (i:Identifier) WHERE i.customer_id IS NOT NULL "
            "RETURN i.key AS key ORDER BY key LIMIT 4"
        ).records
        keys = [r["key"] for r in rows]
        return [
            services.overrides.add(
                OverrideRequest(a=a, b=b, decision=decision, reason="test", actor="t")
            ).override_id
            for a, b, decision in (
                (keys[0], keys[1], OverrideDecision.DIFFERENT),
                (keys[2], keys[3], OverrideDecision.SAME),
            )
        ]


def test_backup_wipe_restore_gives_back_the_same_graph(own_server, tmp_path: Path) -> None:
    settings, server = own_server
    override_ids = build_graph(settings)
    before = everything(settings)
    answers = what_idgraph_answers(settings, override_ids)
    assert answers["model"] != default_model().to_json()  # the fitted one
    assert len(set(answers["partition"].values())) > 5 and answers["history"]

    dump = tmp_path / "backups" / "idgraph.dump"
    runner = CliRunner()
    backed_up = runner.invoke(app, ["backup", str(dump)])
    assert backed_up.exit_code == 0, backed_up.output
    assert "stopping Neo4j" in backed_up.output and "running again" in backed_up.output
    assert dump.is_file() and dump.stat().st_size > 0
    assert server.pid() is not None  # started again
    assert everything(settings) == before  # a backup changes nothing

    with Opened.connect(settings) as opened:
        opened.store.wipe()
    wiped = everything(settings)
    assert wiped != before
    assert not [n for n in wiped[0] if "'Identifier'" in n]

    restored = runner.invoke(app, ["restore", str(dump), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "restored database neo4j" in restored.output
    assert server.pid() is not None
    assert everything(settings) == before
    assert what_idgraph_answers(settings, override_ids) == answers
    with Opened.connect(settings) as opened:
        actions = opened.driver.execute_query(
            "MATCH (e:AuditEntry) RETURN e.action AS action, e.outcome AS outcome"
        ).records
    # the backup's entry was written after the dump was taken; the restore's is written
    # into the restored graph once the server is back
    assert ("restore", "ok") in {(r["action"], r["outcome"]) for r in actions}


def test_a_bad_or_damaged_dump_leaves_the_graph_as_it_was(own_server, tmp_path) -> None:
    settings, server = own_server
    with Opened.connect(settings) as opened:
        opened.services.ingestion.ingest(
            [
                SourceRecord.model_validate(
                    {
                        "source": "crm",
                        "record_id": str(n),
                        "identifiers": [{"kind": "email", "value": f"p{n}@x.example"}],
                        "attributes": {"first_name": f"Ann{n}", "postcode": "94110"},
                    }
                )
                for n in range(300)
            ]
        )
    before = everything(settings)
    runner = CliRunner()
    bogus = tmp_path / "not-a-dump.dump"
    bogus.write_bytes(b"this is not a Neo4j dump\n" * 100)

    refused = runner.invoke(app, ["restore", str(bogus), "--yes"])

    assert refused.exit_code == 1, refused.output
    assert "neo4j-admin could not read database neo4j" in refused.output
    assert server.pid() is not None  # started again after the failure
    assert everything(settings) == before

    # A dump cut short: its header reads, the load fails half-way, the graph is put back.
    whole = tmp_path / "whole.dump"
    assert runner.invoke(app, ["backup", str(whole)]).exit_code == 0
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with Opened.connect(settings) as opened:
        opened.store.wipe()  # so that "as it was" differs from the dump
    wiped = everything(settings)

    failed = runner.invoke(app, ["restore", str(damaged), "--yes"])

    assert failed.exit_code == 1, failed.output
    assert "put back as it was" in failed.output or "could not read" in failed.output
    assert server.pid() is not None
    assert everything(settings) == wiped

    assert runner.invoke(app, ["backup", str(tmp_path)]).exit_code != 0  # a directory


@pytest.mark.timeout(1500)  # two stops and starts of the server: 14 min on a loaded machine
def test_backups_are_on_record_and_named_by_later_erasures(own_server, tmp_path) -> None:
    """``idgraph backup`` records each backup beside the server's state (a restore does not
    lose the record); an erasure after it names the backups still holding what it erased."""
    settings, _ = own_server
    person = {
        "source": "crm",
        "record_id": "b-1",
        "identifiers": [{"kind": "email", "value": "kept.in.a.dump@example.org"}],
    }
    with Opened.connect(settings) as opened:
        opened.services.ingestion.ingest([SourceRecord.model_validate(person)])
    dump = tmp_path / "before-erasure.dump"
    runner = CliRunner()
    assert runner.invoke(app, ["backup", str(dump)]).exit_code == 0
    (entry,) = BackupCatalog.of(settings).entries()
    assert entry.file == str(dump.resolve()) and entry.size == dump.stat().st_size

    with Opened.connect(settings) as opened:
        report = opened.services.erasure.erase_identifier("email", "kept.in.a.dump@example.org")
    assert [b.file for b in report.backups_holding_erased_data] == [str(dump.resolve())]

    assert runner.invoke(app, ["restore", str(dump), "--yes"]).exit_code == 0
    assert [e.file for e in BackupCatalog.of(settings).entries()] == [str(dump.resolve())]
    dump.unlink()  # deleted: no longer a copy
    with Opened.connect(settings) as opened:
        report = opened.services.erasure.erase_identifier("email", "kept.in.a.dump@example.org")
    assert report.backups_holding_erased_data == []
