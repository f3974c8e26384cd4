"""The command line against the real Neo4j: demo (without serving), ingest, recluster."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.core.config import get_settings
from app.provision.neo4j_server import connection_settings
from app.sampledata.generator import generate, write_jsonl

pytestmark = pytest.mark.integration


@pytest.fixture
def cli_env(neo4j_settings, store, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    uri, user, password = connection_settings(neo4j_settings)
    monkeypatch.setenv("IDGRAPH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("IDGRAPH_API_KEYS", raising=False)
    monkeypatch.setenv("NEO4J_URI", uri)
    monkeypatch.setenv("NEO4J_USER", user)
    monkeypatch.setenv("NEO4J_PASSWORD", password)
    get_settings.cache_clear()
    yield store
    get_settings.cache_clear()


def count(store, query: str) -> int:
    return store.driver.execute_query(query).records[0][0]


def test_demo_loads_sample_data_and_says_how_to_look(cli_env) -> None:
    result = CliRunner().invoke(app, ["demo", "--people", "40", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "/docs" in result.output
    assert "password" in result.output
    assert "curl -H 'Authorization: Bearer idg_" in result.output
    assert "API key:" in result.output
    customers = count(cli_env, "MATCH (c:Customer {status: 'active'}) RETURN count(c)")
    assert customers >= 30
    again = CliRunner().invoke(app, ["demo", "--people", "40", "--no-serve"])
    assert again.exit_code == 0, again.output
    assert count(cli_env, "MATCH (c:Customer {status: 'active'}) RETURN count(c)") == customers


def test_ingest_is_idempotent_and_reports_bad_lines(cli_env, tmp_path) -> None:
    data = generate(30, seed=11)
    path = tmp_path / "records.jsonl"
    write_jsonl(data.records, path)
    with path.open("a") as handle:
        handle.write(json.dumps({"record_id": "no-source"}) + "\n")
        bad = {"source": "crm", "record_id": "x", "identifiers": [{"kind": "email", "value": "@@"}]}
        handle.write(json.dumps(bad) + "\n")
    first = CliRunner().invoke(app, ["ingest", str(path), "--batch-size", "50"])
    assert first.exit_code == 1
    assert "line " in first.output and "source" in first.output
    assert "crm|x" in first.output
    records = count(cli_env, "MATCH (r:Record) RETURN count(r)")
    assert records == len({(r["source"], r["record_id"]) for r in data.records})
    events = count(cli_env, "MATCH (e:CustomerEvent) RETURN count(e)")
    CliRunner().invoke(app, ["ingest", str(path)])
    assert count(cli_env, "MATCH (r:Record) RETURN count(r)") == records
    assert count(cli_env, "MATCH (e:CustomerEvent) RETURN count(e)") == events

    report = CliRunner().invoke(app, ["recluster", "--dry-run"])
    assert report.exit_code == 0, report.output
    assert '"differing_identifiers": 0' in report.output
