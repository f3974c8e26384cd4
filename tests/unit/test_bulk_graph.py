"""The bulk computation (``app.bulk.graph``) against the oracle, without Neo4j."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from app.bulk.graph import BulkCustomer, BulkGraph, build_graph
from app.bulk.import_files import ARRAY_DELIMITER, ImportFiles
from app.engine.matching import default_model
from app.engine.normalize import Normaliser
from app.engine.recluster import partition_records, similar_links
from app.engine.resolution import ResolutionConfig
from app.sampledata.generator import generate
from graph_models.records import NormalisedRecord, SourceRecord


def _records():  # type: ignore[no-untyped-def]
    normaliser = Normaliser()
    data = generate(120, seed=5)
    return [normaliser.record(SourceRecord.model_validate(r)) for r in data.records]


def test_bulk_graph_is_partition_records() -> None:
    records = _records()
    config = ResolutionConfig()
    model = default_model()
    graph = build_graph(records, config, model)
    oracle = partition_records(records, config, model)
    assert {c.members for c in graph.customers} == oracle.groups()
    assert set(graph.shared_reason) == {k for k, s in oracle.shared.items() if s}
    assert {p: e.probability for p, e in graph.similar.items()} == similar_links(
        graph.records, config, model
    )
    assert graph.similar, "the generator's data has look-alike records"


def test_import_files_hold_every_entity_once(tmp_path: Path) -> None:
    graph = build_graph(_records(), ResolutionConfig(), default_model())
    files = ImportFiles(graph, datetime(2026, 12, 1, tzinfo=UTC)).write(tmp_path)
    rows = {f.name: f.rows for f in files}
    assert rows["Record"] == len(graph.records)
    assert rows["Identifier"] == len(graph.identifiers)
    assert rows["BELONGS_TO"] == sum(len(c.members) for c in graph.customers)
    with (tmp_path / "linked.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        first = next(reader)
    records = first["records:string[]"].split(ARRAY_DELIMITER)
    assert int(first["record_count:long"]) == len(records)
    assert (
        float(first["match_probability:double"])
        == graph.link_probability[(first[":START_ID(Identifier)"], first[":END_ID(Identifier)"])]
    )


def _written(graph: BulkGraph) -> list[object]:
    """Everything of a graph the import files hold, in the order they hold it (customer
    ids are random, so customers are compared by their members)."""
    return [
        [(k, vars(s)) for k, s in graph.identifiers.items()],
        list(graph.links.items()),
        list(graph.link_probability.items()),
        [(p, list(e.pairs.items()), sorted(e.records)) for p, e in graph.similar.items()],
        list(graph.blocks.items()),
        list(graph.shared_reason.items()),
        [(c.members, c.confidence, c.weakest, c.trigger) for c in graph.customers],
    ]


def test_workers_do_not_change_the_graph() -> None:
    records = _records()
    config, model = ResolutionConfig(), default_model()
    one = build_graph(records, config, model, workers=1)
    two = build_graph(records, config, model, workers=2)
    assert one.similar, "the generator's data has look-alike records"
    assert _written(two) == _written(one)


def test_only_a_file_with_a_line_break_in_a_value_is_multiline(tmp_path: Path) -> None:
    records = _records()
    first = records[0]
    records[0] = first.model_copy(update={"attributes": {**first.attributes, "note": "a\nb"}})
    graph = build_graph(records, ResolutionConfig(), default_model())
    files = ImportFiles(graph, datetime(2026, 12, 1, tzinfo=UTC)).write(tmp_path)
    assert [f.name for f in files if f.multiline] == ["Record"]
    with (tmp_path / "record.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(graph.records)
    assert {r["key:ID(Record)"]: r["attr_note"] for r in rows}[first.key] == "a\nb"


def test_files_written_by_workers_are_the_same(tmp_path: Path) -> None:
    graph = build_graph(_records(), ResolutionConfig(), default_model())
    writer = ImportFiles(graph, datetime(2026, 12, 1, tzinfo=UTC))
    one = writer.write(tmp_path / "one", workers=1)
    two = writer.write(tmp_path / "two", workers=2)
    assert [(f.name, f.rows, f.multiline) for f in two] == [
        (f.name, f.rows, f.multiline) for f in one
    ]
    for file in one:
        assert (tmp_path / "two" / file.path.name).read_bytes() == file.path.read_bytes()


def _source_record(
    key: str, ids: list[tuple[str, str]], *consent: dict[str, object]
) -> SourceRecord:
    source, record_id = key.split("|")
    return SourceRecord.model_validate(
        {
            "source": source,
            "record_id": record_id,
            "observed_at": "2026-11-01T09:00:00Z",
            "identifiers": [{"kind": k, "value": v} for k, v in ids],
            "consent": list(consent),
        }
    )


#: Jane: a grant (crm|1), a later withdrawal (web|2, at a time with an offset) and a record
#: without statements (orders|3); Ann: a grant; Bob: no statement. (The bulk integration
#: tests load these both ways.)
CONSENT_RECORDS = [
    _source_record(
        "crm|1",
        [("email", "jane@example.com")],
        {"purpose": "marketing", "granted": True, "at": "2026-11-01T10:00:00Z"},
        {"purpose": "analytics", "granted": True},
    ),
    _source_record(
        "web|2",
        [("email", "jane@example.com"), ("phone", "+14155550100")],
        {"purpose": "marketing", "granted": False, "at": "2026-11-01T12:05:00+02:00"},
    ),
    _source_record("orders|3", [("phone", "+14155550100")]),
    _source_record(
        "app|5",
        [("email", "ann@example.com")],
        {"purpose": "personalisation", "granted": True, "at": "2026-11-02T08:00:00.250Z"},
    ),
    _source_record("crm|4", [("email", "bob@example.com")]),
]


def _with_consent() -> list[NormalisedRecord]:
    normaliser = Normaliser()
    return [normaliser.record(r) for r in CONSENT_RECORDS]


def _customer(graph: BulkGraph, identifier: str) -> BulkCustomer:
    return next(c for c in graph.customers if identifier in c.members)


def test_consent_is_what_one_live_batch_derives() -> None:
    graph = build_graph(_with_consent(), ResolutionConfig(), default_model())
    jane, ann = (
        _customer(graph, "email:jane@example.com"),
        _customer(graph, "email:ann@example.com"),
    )
    # in the order of the customer ids, as the live history writes them
    assert [e.customer_id for e in graph.consent.events] == sorted(
        [jane.customer_id, ann.customer_id]
    )
    (event,) = [e for e in graph.consent.events if e.customer_id == jane.customer_id]
    assert (event.type, event.customer_id, event.before, event.after, event.trigger_record) == (
        "consent",
        jane.customer_id,
        [],
        [jane.customer_id],
        "crm|1",
    )
    assert event.reason == (
        "consent statement(s) recorded by crm|1, web|2: now analytics granted, marketing "
        "withdrawn (was no statement); latest statements analytics: crm|1 at "
        "2026-11-01T09:00:00+00:00; marketing: web|2 at 2026-11-01T10:05:00+00:00"
    )
    assert {cid: vars(d) for cid, d in graph.consent.derived.items()} == {
        jane.customer_id: {"granted": ["analytics"], "withdrawn": ["marketing"]},
        ann.customer_id: {"granted": ["personalisation"], "withdrawn": []},
    }
    assert graph.events == len(graph.customers) + 2


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_import_files_hold_statements_derived_consent_and_consent_events(tmp_path: Path) -> None:
    graph = build_graph(_with_consent(), ResolutionConfig(), default_model())
    files = ImportFiles(graph, datetime(2026, 12, 1, tzinfo=UTC)).write(tmp_path)
    assert {f.name: f.rows for f in files}["CustomerEvent"] == len(graph.customers) + 2
    records = {r["key:ID(Record)"]: r for r in _rows(tmp_path / "record.csv")}
    statements = {
        key: tuple(
            records[key][f"consent_{name}"].split(ARRAY_DELIMITER)
            for name in ("purposes:string[]", "granted:boolean[]", "at:datetime[]")
        )
        for key in records
    }
    assert statements == {
        "crm|1": (
            ["analytics", "marketing"],
            ["true", "true"],  # the importer reads only the exact text true as true
            ["2026-11-01T09:00:00+00:00", "2026-11-01T10:00:00+00:00"],
        ),
        "web|2": (["marketing"], ["false"], ["2026-11-01T10:05:00+00:00"]),
        "app|5": (["personalisation"], ["true"], ["2026-11-02T08:00:00.250000+00:00"]),
        "orders|3": ([""], [""], [""]),  # an empty field: no property
        "crm|4": ([""], [""], [""]),
    }
    jane, ann = (
        _customer(graph, "email:jane@example.com"),
        _customer(graph, "email:ann@example.com"),
    )
    customers = {
        c["customer_id:ID(Customer)"]: (
            c["consent_granted:string[]"],
            c["consent_withdrawn:string[]"],
        )
        for c in _rows(tmp_path / "customer.csv")
    }
    assert customers == {
        c.customer_id: {jane: ("analytics", "marketing"), ann: ("personalisation", "")}.get(
            c, ("", "")
        )
        for c in graph.customers
    }
    events = _rows(tmp_path / "customerevent.csv")
    n = len(graph.customers)
    assert [(e["type"], e["seq:long"]) for e in events] == [
        *(("created", str(seq)) for seq in range(1, n + 1)),
        ("consent", str(n + 1)),
        ("consent", str(n + 2)),
    ]
    consent = {e["customer_id"]: e for e in events[n:]}
    assert sorted(consent) == sorted([jane.customer_id, ann.customer_id])
    assert all(e["after:string[]"] == cid for cid, e in consent.items())
    about = {
        (a[":START_ID(CustomerEvent)"], a[":END_ID(Customer)"])
        for a in _rows(tmp_path / "about.csv")
    }
    assert {(e["event_id:ID(CustomerEvent)"], cid) for cid, e in consent.items()} <= about
    (feed,) = _rows(tmp_path / "feedsequence.csv")
    assert feed["next:long"] == str(len(events))
