"""Bulk mode (``idgraph load --bulk``) against a real local Neo4j of the module's own.

The bulk load stops and starts its server around ``neo4j-admin database import``, so the
module starts its own (ports next to the session's) and leaves the session's alone; the
live path runs on the session's server. Oracles: :func:`partition_records` with the
default match model (what the graph of all records must resolve to), and the live path
itself, record by record in random order, or in one batch (what a bulk load is specified
to equal, history and consent included).
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from app.bootstrap import Opened, Services
from app.bulk.importer import BulkLoadError
from app.bulk.service import BulkLoader, CollectingIngest
from app.core.config import Settings
from app.engine.matching import default_model
from app.engine.normalize import Normaliser
from app.engine.recluster import partition_records, stored_partition
from app.sampledata.generator import generate
from app.store import catalog
from app.store.graph_store import GraphStore
from bench.background import property_differences, property_names
from bench.bulk_accuracy import record_customers
from graph_models.consent import DEFAULT_PURPOSES
from graph_models.records import SourceRecord
from tests.conftest import TEST_BOLT_PORT, TEST_HTTP_PORT, local_settings, point_cli_at
from tests.integration.test_determinism import POOL
from tests.integration.test_similarity import PEOPLE, attrs_of
from tests.unit.test_bulk_graph import CONSENT_RECORDS

# Every bulk load stops and starts a Neo4j server: minutes each on a loaded 2-core box.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(3600)]

BOLT_PORT = TEST_BOLT_PORT + 30
HTTP_PORT = TEST_HTTP_PORT + 30


@pytest.fixture(scope="module")
def bulk_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    if os.environ.get("NEO4J_URI"):
        pytest.skip("the session uses an external Neo4j; bulk mode needs the local server")
    settings = local_settings(tmp_path_factory.mktemp("bulk-state"), BOLT_PORT, HTTP_PORT)
    loader = BulkLoader(settings)
    loader.server.start()
    try:
        yield settings
    finally:
        loader.server.stop()


def bulk_load(settings: Settings, records: list[SourceRecord], replace: bool = True) -> None:
    def read(collector: CollectingIngest) -> None:
        for start in range(0, len(records), 500):
            collector.ingest(records[start : start + 500])

    BulkLoader(settings).load(read, replace=replace)


def graph_state(store: GraphStore) -> dict[str, object]:
    """Customers (as sets of identifiers), shared identifiers, SIMILAR links, policy cuts."""
    rows = store.driver.execute_query(
        "MATCH (i:Identifier) RETURN i.key AS key, i.customer_id AS cid, i.shared AS shared",
        database_=store.database,
    ).records
    similar = store.driver.execute_query(
        "MATCH (a:Identifier)-[s:SIMILAR]->(b:Identifier) "
        "RETURN a.key AS a, b.key AS b, s.match_probability AS p, s.pairs AS pairs",
        database_=store.database,
    ).records
    cuts = store.driver.execute_query(
        catalog.query("queries/review_cut_links"),
        threshold=0.5,
        limit=10_000,
        database_=store.database,
    ).records
    return {
        "customers": stored_partition({r["key"]: r["cid"] for r in rows}),
        "shared": {r["key"] for r in rows if r["shared"]},
        "similar": {(r["a"], r["b"]): (r["p"], tuple(r["pairs"])) for r in similar},
        "cuts": {(r["a"], r["b"]) for r in cuts},
    }


#: Stamped when a path writes (not the same on two loads): left out of comparisons.
WRITTEN_AT = {"ingested_at", "created_at", "updated_at", "since", "event_id", "exported_at"}


def _query(services: Services, query: str) -> list[dict[str, Any]]:
    return [
        r.data()
        for r in services.store.driver.execute_query(
            query, database_=services.store.database
        ).records
    ]


class Blank:
    """Customer ids as the sorted identifiers of the customer (the two ways mint different
    ids), the times a path stamps when it writes left out, erasure subjects blanked."""

    def __init__(self, services: Services) -> None:
        rows = _query(services, "MATCH (i:Identifier) RETURN i.key AS key, i.customer_id AS cid")
        members: dict[str, list[str]] = {}
        for row in rows:
            if row["cid"] is not None:
                members.setdefault(row["cid"], []).append(row["key"])
        self.label = {cid: "C" + repr(sorted(keys)) for cid, keys in members.items()}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items() if k not in WRITTEN_AT}
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        if isinstance(value, str):
            value = re.sub(r"subject [0-9a-f]+", "subject …", value)  # keyed per deployment
            return re.sub(r"C-[0-9a-f]{16}", lambda m: self.label.get(m[0], "C-gone"), value)
        return value


def consent_answers(services: Services) -> dict[str, object]:
    """Every read of consent: the records' statements as stored, and per customer its
    consent, lineage statements and export sections, and every lookup for a purpose."""
    blank = Blank(services)
    records = _query(
        services,
        "MATCH (r:Record) RETURN r.key AS key, "
        "[k IN keys(r) WHERE k STARTS WITH 'consent' | [k, r[k], valueType(r[k])]] AS consent "
        "ORDER BY key",
    )
    for record in records:  # keys(r) holds no particular order
        record["consent"].sort()
    customers = {}
    for cid, label in blank.label.items():
        export = services.exports.export(cid).model_dump(mode="json")["sections"]
        for row in export["records"]:  # lists of relationships, in no particular order
            row["observed"].sort(key=lambda o: o["identifier"])
            row["blocks"].sort()
        customers[label] = blank(
            {
                "consent": services.consent.of_customer(cid).model_dump(mode="json"),
                "lineage": services.customers.lineage(cid).model_dump(mode="json")[
                    "consent_statements"
                ],
                "export": {k: export[k] for k in ("consent", "records")},
            }
        )
    identifiers = _query(services, "MATCH (i:Identifier) RETURN i.kind AS kind, i.value AS value")
    lookups = {
        (i["kind"], i["value"], purpose): blank(
            services.consent.lookup(i["kind"], i["value"], None, purpose).model_dump(mode="json")
        )
        for i in identifiers
        for purpose in DEFAULT_PURPOSES
    }
    return {"records": records, "customers": customers, "lookups": lookups}


def history(services: Services) -> dict[str, object]:
    """The history events (their types in feed order; the events as a set, since events of
    one kind follow the order of the random customer ids) and the consent each customer
    holds as last derived."""
    blank = Blank(services)
    events = _query(
        services,
        "MATCH (e:CustomerEvent) OPTIONAL MATCH (e)-[:ABOUT]->(c:Customer) "
        "WITH e, collect(c.customer_id) AS about ORDER BY e.seq "
        "RETURN e {.*, about: about} AS event",
    )
    summaries = _query(
        services,
        "MATCH (c:Customer) RETURN c.customer_id AS cid, c.consent_granted AS granted, "
        "c.consent_withdrawn AS withdrawn",
    )
    return {
        "feed": [e["event"]["seq"] for e in events],
        "types": [e["event"]["type"] for e in events],
        "events": sorted(
            json.dumps(
                blank({k: v for k, v in e["event"].items() if k not in ("at", "seq")}),
                sort_keys=True,
            )
            for e in events
        ),
        "derived": {
            blank.label.get(s["cid"], s["cid"]): (s["granted"], s["withdrawn"]) for s in summaries
        },
    }


def oracle(records: list[SourceRecord]) -> tuple[set[frozenset[str]], set[str]]:
    partition = partition_records([Normaliser().record(r) for r in records], model=default_model())
    return partition.groups(), {k for k, s in partition.shared.items() if s}


def assert_record_customers(driver: Any, database: str) -> None:
    """The bulk bench's record -> customer (a Cypher aggregation) against the same thing
    counted here: the customer most of a record's observed identifiers belong to, ties to
    the smallest id."""
    rows = driver.execute_query(
        "MATCH (r:Record)-[:OBSERVED]->(i:Identifier) "
        "OPTIONAL MATCH (i)-[:BELONGS_TO]->(c:Customer) "
        "RETURN r.source AS source, r.record_id AS rid, collect(c.customer_id) AS customers",
        database_=database,
    ).records
    expected = {}
    for row in rows:
        votes = Counter(row["customers"])
        if votes:
            expected[f"{row['source']}|{row['rid']}"] = min(votes, key=lambda c: (-votes[c], c))
    assert len(expected) > 10
    assert record_customers(driver, database) == expected


def test_bulk_load_then_live_ingest_equals_the_oracle(bulk_settings: Settings) -> None:
    data = generate(80, seed=11)
    records = [SourceRecord.model_validate(r) for r in data.records]
    cut = len(records) * 3 // 4
    bulk_load(bulk_settings, records[:cut])
    with Opened.connect(bulk_settings) as opened:
        after_bulk = graph_state(opened.store)
        groups, shared = oracle(records[:cut])
        assert after_bulk["customers"] == groups
        assert after_bulk["shared"] == shared
        assert_record_customers(opened.driver, bulk_settings.neo4j_database)
        for start in range(cut, len(records), 25):
            opened.services.ingestion.ingest(records[start : start + 25])
        after_live = graph_state(opened.store)
        groups, shared = oracle(records)
        assert after_live["customers"] == groups
        assert after_live["shared"] == shared
        # Bulk-written entities carry exactly the properties the engine writes.
        keys = [f"{r.source}|{r.record_id}" for r in records]
        bulk_names = property_names(opened.driver, bulk_settings.neo4j_database, keys[:cut])
        live_names = property_names(opened.driver, bulk_settings.neo4j_database, keys[cut:])
        assert property_differences(bulk_names, live_names) == []
        head = opened.driver.execute_query(
            catalog.query("queries/feed_head"), database_=bulk_settings.neo4j_database
        ).records[0]["head"]
        events = opened.driver.execute_query(
            "MATCH (e:CustomerEvent) RETURN count(e) AS n, count(DISTINCT e.seq) AS seqs",
            database_=bulk_settings.neo4j_database,
        ).records[0]
        assert events["n"] == events["seqs"] == head  # the feed numbers on without a gap


def test_bulk_refuses_a_graph_that_is_not_empty(bulk_settings: Settings) -> None:
    data = generate(5, seed=3)
    records = [SourceRecord.model_validate(r) for r in data.records]
    bulk_load(bulk_settings, records)
    with pytest.raises(BulkLoadError, match=r"not empty.*without --bulk.*--replace"):
        bulk_load(bulk_settings, records, replace=False)


def test_a_stopped_server_is_replaced_without_starting_it_first(
    bulk_settings: Settings,
) -> None:
    """With --replace nothing needs counting: the load imports into the stopped server's
    store and starts it once, after the import. A value holding a line break is imported
    whole (only its file is parsed as multi-line)."""
    record = SourceRecord.model_validate(
        {
            "source": "crm",
            "record_id": "nl",
            "identifiers": [{"kind": "email", "value": "nl@x.com"}],
            "attributes": {"first_name": "Ann", "address": "1 Main St\nSpringfield"},
        }
    )
    server = BulkLoader(bulk_settings).server
    server.stop()
    bulk_load(bulk_settings, [record])
    assert server.pid() is not None
    with Opened.connect(bulk_settings) as opened:
        rows = opened.driver.execute_query(
            "MATCH (r:Record {key: 'crm|nl'}) RETURN r.attr_address AS address",
            database_=bulk_settings.neo4j_database,
        ).records
    assert [r["address"] for r in rows] == ["1 Main St\nSpringfield"]


def test_bulk_mode_needs_the_local_server(bulk_settings: Settings) -> None:
    external = bulk_settings.model_copy(update={"neo4j_uri": "bolt://db.example:7687"})
    with pytest.raises(BulkLoadError, match="local Neo4j"):
        BulkLoader(external)


def test_cli_bulk_load_reports_bad_rows_and_loads_the_good(
    bulk_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli import app
    from app.core.config import get_settings

    good = {
        "source": "crm",
        "record_id": "1",
        "identifiers": [{"kind": "email", "value": "a@x.com"}],
    }
    bad = {"source": "crm", "record_id": "2", "identifiers": [{"kind": "email", "value": "nope"}]}
    file = tmp_path / "records.jsonl"
    file.write_text(f"{json.dumps(good)}\n{json.dumps(bad)}\n")
    point_cli_at(monkeypatch, bulk_settings)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["load", "--bulk", "--replace", str(file)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "line 2" in result.output and "identifiers" in result.output
    assert "nope" not in result.output
    assert "bulk-loaded 1 records" in result.output
    with Opened.connect(bulk_settings) as opened:
        assert graph_state(opened.store)["customers"] == {frozenset({"email:a@x.com"})}


def test_bulk_consent_is_one_live_batch_of_the_records(bulk_settings: Settings, services) -> None:  # type: ignore[no-untyped-def]
    """Statements, consent reads, history and derived consent equal those of one live batch,
    also after erasing the identifier the withdrawal was made for."""
    services.store.wipe()
    services.ingestion.ingest(CONSENT_RECORDS)
    bulk_load(bulk_settings, CONSENT_RECORDS)
    with Opened.connect(bulk_settings) as opened:
        bulk, live = opened.services, services
        answers = consent_answers(bulk)
        assert answers == consent_answers(live)
        jane = answers["customers"]["C['email:jane@example.com', 'phone:+14155550100']"]
        assert [(p["purpose"], p["granted"]) for p in jane["consent"]["purposes"]] == [
            ("marketing", False),
            ("analytics", True),
            ("personalisation", False),
        ]
        stored = {r["key"]: {k: t for k, _, t in r["consent"]} for r in answers["records"]}
        assert stored["web|2"] == {
            "consent_purposes": "LIST<STRING NOT NULL> NOT NULL",
            "consent_granted": "LIST<BOOLEAN NOT NULL> NOT NULL",
            "consent_at": "LIST<ZONED DATETIME NOT NULL> NOT NULL",
        }
        assert stored["orders|3"] == stored["crm|4"] == {}
        assert history(bulk) == history(live)
        assert history(bulk)["types"] == ["created"] * 3 + ["consent"] * 2
        for side in (bulk, live):
            side.erasure.erase_identifier("phone", "+14155550100")
        assert consent_answers(bulk) == consent_answers(live)
        assert history(bulk) == history(live)


# ---------------------------------------------------------------------------- bulk == live

#: Consent statements: a purpose once per record, made at one of few times (ties between a
#: grant and a withdrawal happen), or without a time (the record's ``observed_at``).
consent_strategy = st.lists(
    st.builds(
        lambda purpose, granted, hour: {
            "purpose": purpose,
            "granted": granted,
            **({"at": f"2026-11-15T{hour:02d}:00:00Z"} if hour is not None else {}),
        },
        st.sampled_from(["marketing", "analytics"]),
        st.booleans(),
        st.one_of(st.none(), st.integers(10, 12)),
    ),
    max_size=2,
    unique_by=lambda s: s["purpose"],
)

record_strategy = st.builds(
    lambda source, rid, ids, person, seed, day, consent: SourceRecord.model_validate(
        {
            "source": source,
            "record_id": f"r{rid}",
            "observed_at": f"2026-11-{day:02d}T00:00:00Z",
            "identifiers": [{"kind": k, "value": v} for k, v in ids],
            "attributes": (
                attrs_of(PEOPLE[person], random.Random(seed) if seed else None)
                if person is not None
                else {}
            ),
            "consent": consent,
        }
    ),
    st.sampled_from(["crm", "web", "orders"]),
    st.integers(0, 20),
    st.lists(st.sampled_from(POOL), min_size=0, max_size=3),
    st.one_of(st.none(), st.integers(0, len(PEOPLE) - 1)),
    st.integers(0, 5),
    st.integers(1, 28),
    consent_strategy,
).filter(lambda r: r.identifiers or r.attributes)


def explained(services, a: str, b: str) -> str:  # type: ignore[no-untyped-def]
    """An explanation with customer ids blanked (the two ways mint different ids)."""
    text = services.explanations.explain(a, b).model_dump_json()
    return re.sub(r"C-[0-9a-f]{16}", "C-…", text)


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    records=st.lists(record_strategy, min_size=1, max_size=16).filter(
        lambda rs: any(r.consent for r in rs)
    ),
    seed=st.integers(0, 10**6),
)
def test_bulk_partition_is_the_live_partition(
    bulk_settings: Settings, services, records: list[SourceRecord], seed: int
) -> None:
    services.store.wipe()
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    for record in shuffled:  # record by record, in random order
        services.ingestion.ingest([record])
    # A key drawn twice with other content is a re-sent record: the content sent last
    # wins, on both paths (the bulk loader keeps a key's last row). So the bulk file holds
    # the rows in the order the live path received them; what the bulk path computes from
    # scratch does not depend on that order, what the live path does incrementally must not.
    bulk_load(bulk_settings, shuffled)
    with Opened.connect(bulk_settings) as opened:
        bulk = graph_state(opened.store)
        live = graph_state(services.store)
        assert bulk == live
        keys = sorted({k for group in live["customers"] for k in group} | live["shared"])
        pairs = random.Random(seed).sample(
            [(a, b) for a in keys for b in keys if a < b],
            k=min(4, len(keys) * (len(keys) - 1) // 2),
        )
        for a, b in pairs:
            assert explained(opened.services, a, b) == explained(services, a, b)
        # consent follows the records as they are now, whatever order they came in
        assert consent_answers(opened.services) == consent_answers(services)
        # what the bulk load is specified to equal: one live batch, history included
        services.store.wipe()
        services.ingestion.ingest(shuffled)
        assert history(opened.services) == history(services)
