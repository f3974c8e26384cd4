"""``idgraph load`` and ``ingest --mapping`` against the real Neo4j: CSV and Parquet files
mapped to records, bad rows reported and left out, good rows stored, reloads a no-op."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from app.bootstrap import Services
from app.cli import app
from app.loading.loader import BadRow, FileLoader
from app.loading.mapping import RecordMapping, load_mapping, parse_mapping

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
CRM_CSV = EXAMPLES / "crm-export.csv"
CRM_MAPPING = EXAMPLES / "crm-mapping.yaml"

ORDERS_MAPPING = """
source: orders
record_id: {column: order_id}
observed_at: {column: ordered_at}
identifiers:
  email: {column: buyer_email}
  phone: {column: phones}
attributes:
  postcode: {column: zip}
"""


def count(store, query: str) -> int:  # type: ignore[no-untyped-def]
    return store.driver.execute_query(query).records[0][0]


def orders_parquet(path: Path) -> Path:
    """Orders whose buyers are customers of the CRM export, in Parquet's own types."""
    from datetime import UTC, datetime

    table = pa.table(
        {
            "order_id": pa.array([5001, 5002], pa.int64()),
            "ordered_at": pa.array(
                [datetime(2026, 11, 2, 10, tzinfo=UTC), datetime(2026, 11, 3, 11, tzinfo=UTC)],
                pa.timestamp("ms", tz="UTC"),
            ),
            # Omar's second address from the CRM, with a phone the CRM does not have
            "buyer_email": ["O.Haddad@example.net", None],
            # Li Wong's phone as the shop wrote it, and a second one
            "phones": pa.array([["+1 415 555 0122"], ["212-555-0199", "+1 646 555 0101"]]),
            "zip": pa.array([94105, 10013], pa.int32()),
        }
    )
    pq.write_table(table, path)
    return path


def loader(services: Services, mapping: RecordMapping, bad: list[BadRow]) -> FileLoader:
    """The loader `idgraph load` builds, in batches of 2 (so a file spans batches)."""
    return FileLoader(
        services.ingestion,
        mapping,
        2,
        known_kinds=sorted(services.engine.normaliser.kinds),
        check=services.engine.normaliser.identifier,
        on_bad_row=bad.append,
    )


def test_csv_and_parquet_load_and_are_found_through_the_service(services, store, tmp_path) -> None:
    bad: list[BadRow] = []
    crm = loader(services, load_mapping(CRM_MAPPING), bad)
    (csv_reader,) = crm.open([CRM_CSV])
    csv_load = crm.load(csv_reader)
    orders = loader(services, parse_mapping(ORDERS_MAPPING), bad)
    (parquet_reader,) = orders.open([orders_parquet(tmp_path / "orders.parquet")])
    parquet_load = orders.load(parquet_reader)
    assert bad == []
    assert (csv_load.rows, csv_load.stored, parquet_load.stored) == (4, 4, 2)
    assert count(store, "MATCH (r:Record) RETURN count(r)") == 6

    jane = services.lookups.lookup("email", "JANE.DOE@example.com")
    assert jane.customer_id is not None
    assert services.lookups.lookup("phone", "+14155550100").customer_id == jane.customer_id
    assert services.lookups.lookup("account", "jdoe", source="crm").customer_id == jane.customer_id
    profile = services.customers.profile(jane.customer_id)
    assert profile.attributes["birth_date"] == "1985-02-14"
    assert profile.attributes["first_name"] == "Jane"
    assert profile.sources == ["crm"]

    # the Parquet orders joined the CRM customers by email and by phone
    omar = services.lookups.lookup("email", "omar.haddad@example.org").customer_id
    assert omar is not None
    assert services.lookups.lookup("phone", "+14155550122").customer_id == omar
    assert set(services.customers.profile(omar).sources) == {"crm", "orders"}
    li = services.lookups.lookup("phone", "+12125550199").customer_id
    assert li is not None and services.lookups.lookup("phone", "+16465550101").customer_id == li
    li_profile = services.customers.profile(li)
    assert li_profile.attributes["address_1"] == "88 Grand St\nApt 4"
    assert li_profile.attributes["postcode"] == "10013"
    ana = services.lookups.lookup("email", "ana.perez@example.com").customer_id
    assert ana is not None and ana not in (jane.customer_id, omar, li)
    records = store.driver.execute_query(
        "MATCH (r:Record {key: 'crm|C-1002'}) RETURN r.observed_at AS at"
    ).records
    assert records[0]["at"].iso_format().startswith("2026-10-11T09:05:00")


def test_a_reload_counts_nothing_twice_and_a_changed_row_replaces_its_record(
    services, store, tmp_path
) -> None:
    path = tmp_path / "crm.csv"
    path.write_text(
        "id,email,first\n1,ann@example.com,Ann\n2,bob@example.com,Bob\n3,cy@example.com,Cy\n"
    )
    mapping = parse_mapping(
        "source: crm\nrecord_id: {column: id}\nidentifiers: {email: {column: email}}\n"
        "attributes: {first_name: {column: first}}\n"
    )
    bad: list[BadRow] = []
    (reader,) = loader(services, mapping, bad).open([path])
    loader(services, mapping, bad).load(reader)
    totals = "MATCH (r:Record) WITH count(r) AS r MATCH (i:Identifier) RETURN r, count(i)"
    before = store.driver.execute_query(totals).records[0].values()
    events = count(store, "MATCH (e:CustomerEvent) RETURN count(e)")
    ann = services.lookups.lookup("email", "ann@example.com").customer_id

    again = loader(services, mapping, bad)
    (reader,) = again.open([path])
    assert again.load(reader).stored == 3
    assert store.driver.execute_query(totals).records[0].values() == before == [3, 3]
    assert count(store, "MATCH (e:CustomerEvent) RETURN count(e)") == events
    assert services.lookups.lookup("email", "ann@example.com").customer_id == ann

    # the export again, one customer with a new address: still three records
    path.write_text(
        "id,email,first\n1,ann.lee@example.com,Ann\n2,bob@example.com,Bob\n3,cy@example.com,Cy\n"
    )
    changed = loader(services, mapping, bad)
    (reader,) = changed.open([path])
    changed.load(reader)
    assert count(store, "MATCH (r:Record) RETURN count(r)") == 3
    assert services.lookups.lookup("email", "ann.lee@example.com").customer_id is not None
    assert count(store, "MATCH (i:Identifier {key: 'email:ann@example.com'}) RETURN count(i)") == 0
    assert bad == []


def test_load_reports_bad_rows_and_stores_the_good_ones(cli_env, tmp_path) -> None:
    path = tmp_path / "crm.csv"
    rows = ["id,email,phone"]
    rows += [f"{n},user{n}@example.com,+1415555{n:04d}" for n in range(1, 11)]
    rows[4] = "4,jane.doe@@example,+14155550004"  # line 5: a bad email
    rows[7] = "7,user7@example.com,+14155550007,extra"  # line 8: a cell too many
    rows[9] = ",user9@example.com,"  # line 10: no record id
    path.write_text("\n".join(rows) + "\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "source: crm\nrecord_id: {column: id}\n"
        "identifiers: {email: {column: email}, phone: {column: phone}}\n"
    )
    errors = tmp_path / "bad-rows.jsonl"
    args = ["load", str(path), "--mapping", str(mapping), "--batch-size", "3"]
    result = CliRunner().invoke(app, [*args, "--errors", str(errors)])
    assert result.exit_code == 1, result.output
    assert f"{path}: 10 rows, 7 stored, 3 bad" in result.output
    assert (
        f"{path} line 5 (record crm|4): identifiers.email[0] (column 'email'): invalid email"
        in result.output
    )
    assert f"{path} line 8: (row): 4 cells where the header has 3" in result.output
    assert f"{path} line 10: record_id (column 'id'): missing" in result.output
    assert "jane.doe@@example" not in result.output  # the values stay out of the report
    reported = [json.loads(line) for line in errors.read_text().splitlines()]
    assert [(r["line"], r["record"], r["field"]) for r in reported] == [
        (5, "crm|4", "identifiers.email[0] (column 'email')"),
        (8, None, "(row)"),
        (10, None, "record_id (column 'id')"),
    ]
    assert count(cli_env, "MATCH (r:Record) RETURN count(r)") == 7
    keys = cli_env.driver.execute_query("MATCH (r:Record) RETURN r.key AS k ORDER BY k").records
    assert [r["k"] for r in keys] == [f"crm|{n}" for n in (1, 10, 2, 3, 5, 6, 8)]
    events = count(cli_env, "MATCH (e:CustomerEvent) RETURN count(e)")

    # fixed and run again: the three rows come in, nothing else changes
    rows[4], rows[7], rows[9] = (
        "4,user4@example.com,+14155550004",
        "7,user7@example.com,+14155550007",
        "9,user9@example.com,",
    )
    path.write_text("\n".join(rows) + "\n")
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert count(cli_env, "MATCH (r:Record) RETURN count(r)") == 10
    assert count(cli_env, "MATCH (e:CustomerEvent) RETURN count(e)") == events + 3


def test_load_refuses_a_wrong_mapping_before_loading_anything(cli_env, tmp_path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("id,email\n1,a@example.com\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "source: crm\nrecord_id: {column: id}\nidentifiers: {email: {column: mail}}\n"
    )
    result = CliRunner().invoke(app, ["load", str(path), "--mapping", str(mapping)])
    assert result.exit_code == 2, result.output
    assert "identifiers.email[0]: column 'mail' is not in the file" in result.output
    assert "nothing was loaded" in result.output
    mapping.write_text("source: crm\nrecord_id: {colum: id}\n")
    result = CliRunner().invoke(app, ["load", str(path), "--mapping", str(mapping)])
    assert result.exit_code == 2 and "record_id.colum: Extra inputs" in result.output
    result = CliRunner().invoke(app, ["load", str(path)])
    assert result.exit_code == 2 and "a CSV file needs --mapping" in result.output
    assert count(cli_env, "MATCH (r:Record) RETURN count(r)") == 0


def test_ingest_takes_the_mapping_on_the_live_path(cli_env, tmp_path) -> None:
    result = CliRunner().invoke(app, ["ingest", str(CRM_CSV), "--mapping", str(CRM_MAPPING)])
    assert result.exit_code == 0, result.output
    assert "4 rows, 4 stored, 0 bad" in result.output
    assert count(cli_env, "MATCH (r:Record {source: 'crm'}) RETURN count(r)") == 4
    orders = orders_parquet(tmp_path / "orders.parquet")
    mapping = tmp_path / "orders.yaml"
    mapping.write_text(ORDERS_MAPPING)
    result = CliRunner().invoke(app, ["load", str(orders), "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    assert count(cli_env, "MATCH (r:Record) RETURN count(r)") == 6


def test_load_help_says_it_is_the_live_path() -> None:
    result = CliRunner().invoke(app, ["load", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "live ingest path" in result.output and "bulk mode" in result.output
