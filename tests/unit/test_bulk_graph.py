"""The bulk computation (``app.bulk.graph``) against the oracle, without Neo4j."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from app.bulk.graph import BulkGraph, build_graph
from app.bulk.import_files import ARRAY_DELIMITER, ImportFiles
from app.engine.matching import default_model
from app.engine.normalize import Normaliser
from app.engine.recluster import partition_records, similar_links
from app.engine.resolution import ResolutionConfig
from app.sampledata.generator import generate
from graph_models.records import SourceRecord


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
