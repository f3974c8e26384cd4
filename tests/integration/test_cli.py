"""The command line against the real Neo4j: demo (without serving), ingest, recluster."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.sampledata.generator import generate, write_jsonl

pytestmark = pytest.mark.integration


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


def test_match_model_fit_show_and_load(cli_env, tmp_path) -> None:
    people = [("Ann", "Lee", "1980-01-01", "94110"), ("Bob", "Roe", "1975-05-05", "10001")]
    lines = []
    for n in range(12):
        first, last, dob, postcode = people[n % 2]
        lines.append(
            json.dumps(
                {
                    "source": "crm",
                    "record_id": f"R{n}",
                    "attributes": {
                        "first_name": first if n % 3 else first + "e",
                        "last_name": last,
                        "birth_date": dob,
                        "postcode": postcode,
                    },
                }
            )
        )
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    # nothing to fit on yet: a clear message, not a traceback
    empty = runner.invoke(app, ["model", "fit"])
    assert empty.exit_code != 0
    assert "ingest records with attributes first" in " ".join(empty.output.split())
    assert runner.invoke(app, ["ingest", str(path)]).exit_code == 0
    fitted = runner.invoke(app, ["model", "fit"])
    assert fitted.exit_code == 0, fitted.output
    said = " ".join(fitted.output.split())
    assert "match model em-" in said and "re-matched 12 records" in said
    shown = runner.invoke(app, ["model", "show", "--json"])
    params = json.loads(shown.output)
    assert params["version"].startswith("em-")
    params["prior"] = 0.2
    edited = tmp_path / "model.json"
    edited.write_text(json.dumps(params))
    loaded = runner.invoke(app, ["model", "load", str(edited)])
    assert loaded.exit_code == 0, loaded.output
    again = json.loads(runner.invoke(app, ["model", "show", "--json"]).output)
    assert again["version"].startswith("manual-") and again["prior"] == 0.2
    versions = count(cli_env, "MATCH ()-[s:SIMILAR]->() RETURN count(DISTINCT s.model_version)")
    assert versions == 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "x"}')
    refused = runner.invoke(app, ["model", "load", str(bad)])
    assert refused.exit_code != 0 and "model show --json" in " ".join(refused.output.split())
