"""The bulk read phase in several processes (``app.bulk.reading``) reads what one does."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from app.bulk.reading import pack, read_into, unpack
from app.bulk.service import CollectingIngest
from app.core.config import Settings
from app.engine.core import Engine
from app.loading.console import LoadSummary, load_files
from app.loading.loader import FileLoader
from app.loading.mapping import RecordMapping, parse_mapping
from app.sampledata.generator import generate
from graph_models.records import SourceRecord


def messy_jsonl(path: Path, seed: int) -> Path:
    """Generated records with blank lines, bad rows, unparseable lines and re-sent
    records (with new content: the later row must win) among them."""
    rng = random.Random(seed)
    records = generate(60, seed=seed).records
    lines = []
    for number, record in enumerate(records):
        lines.append(json.dumps(record))
        if rng.random() < 0.1:
            lines.append("")
        if rng.random() < 0.1:
            bad = {"kind": "email", "value": "nope"}
            lines.append(
                json.dumps({"source": "crm", "record_id": f"b{number}", "identifiers": [bad]})
            )
        if rng.random() < 0.05:
            lines.append("not json")
        if rng.random() < 0.1:
            again = dict(rng.choice(records))
            again["attributes"] = {**again.get("attributes", {}), "last_name": f"Re{number}"}
            lines.append(json.dumps(again))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_both(
    paths: list[Path], mapping: RecordMapping | None, workers: int, tmp_path: Path
) -> tuple[tuple[CollectingIngest, LoadSummary], tuple[CollectingIngest, LoadSummary]]:
    settings = Settings(state_dir=tmp_path / "state")
    one = CollectingIngest(Engine(settings), settings)
    alone = load_files(Console(quiet=True), one, paths, mapping, 50, tmp_path / "one.jsonl")
    many = CollectingIngest(Engine(settings), settings)
    kinds = sorted(many.engine.normaliser.kinds)
    readers = FileLoader(many, mapping, 50, kinds).open(paths)
    shared = read_into(many, readers, mapping, 50, workers, tmp_path / "many.jsonl", print)
    return (one, alone), (many, shared)


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_read_the_records_and_bad_rows_one_process_reads(
    tmp_path: Path, workers: int
) -> None:
    first = messy_jsonl(tmp_path / "a.jsonl", seed=1)
    second = messy_jsonl(tmp_path / "b.jsonl", seed=2)
    (one, alone), (many, shared) = read_both([first, second, first], None, workers, tmp_path)
    assert alone.bad, "the files have bad rows"
    assert [r.model_dump() for r in many.records] == [r.model_dump() for r in one.records]
    assert shared.bad_rows == alone.bad_rows
    assert [(f.path, f.rows, f.stored, f.bad, f.error) for f in shared.files] == [
        (f.path, f.rows, f.stored, f.bad, f.error) for f in alone.files
    ]
    errors = (tmp_path / "many.jsonl").read_text()
    assert errors == (tmp_path / "one.jsonl").read_text()
    assert errors.count("\n") == alone.bad


def test_workers_read_a_parquet_file_with_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "crm.parquet"
    emails = [f"p{n}@example.com" if n % 7 else "not an email" for n in range(200)]
    table = {"id": [str(n) for n in range(200)], "mail": emails, "name": ["Ann"] * 200}
    pq.write_table(pa.table(table), path)
    mapping = parse_mapping(
        "source: crm\nrecord_id: {column: id}\nobserved_at: 2026-11-01T00:00:00Z\n"
        "identifiers:\n  email: {column: mail}\nattributes:\n  first_name: {column: name}\n"
    )
    (one, alone), (many, shared) = read_both([path], mapping, 2, tmp_path)
    assert alone.bad == 29
    assert [r.model_dump() for r in many.records] == [r.model_dump() for r in one.records]
    assert shared.bad_rows == alone.bad_rows


def test_a_packed_record_is_the_record() -> None:
    settings = Settings()
    collector = CollectingIngest(Engine(settings), settings)
    sent = {
        "source": "web",
        "record_id": "1",
        "identifiers": [{"kind": "email", "value": "A@x.com"}],
        "attributes": {"first_name": "Ann"},
        "consent": [{"purpose": "marketing", "granted": True}],
    }
    collector.ingest([SourceRecord.model_validate(sent)])
    record = collector.records[0]
    assert unpack(pack(record)) == record
