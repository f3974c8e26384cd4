"""Rows made into records (with a mapping, or JSONL records as they are), and the loader's
batching, against a list standing in for the ingest service (the storage is tested in
tests/integration/test_load.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.core.errors import FieldError, InvalidInputError, RecordRef
from app.engine.normalize import Normaliser
from app.loading.loader import BadRow, FileLoader
from app.loading.mapping import parse_mapping
from app.loading.records import MappedRows, NativeRows, RowRejected, as_text, as_time
from graph_models.records import SourceRecord

FILE_TIME = datetime(2026, 11, 30, 8, tzinfo=UTC)
CHECK = Normaliser().identifier

MAPPING = parse_mapping(
    """
source: crm
record_id: {column: id}
observed_at: {column: changed, format: "%d/%m/%Y %H:%M"}
identifiers:
  email: [{column: mail}, {column: mail2}]
  phone: {column: tel}
attributes:
  first_name: {column: fname}
  birth_date: {column: dob, format: "%d.%m.%Y"}
"""
)


def mapped(values: dict[str, object]) -> SourceRecord:
    return MappedRows(MAPPING, FILE_TIME, CHECK).record(values).record


def rejected(values: dict[str, object], rows: object = None) -> list[tuple[str, str]]:
    maker = rows or MappedRows(MAPPING, FILE_TIME, CHECK)
    with pytest.raises(RowRejected) as caught:
        maker.record(values)  # type: ignore[attr-defined]
    return [(p.field, p.message) for p in caught.value.problems]


def test_a_row_becomes_a_record() -> None:
    record = mapped(
        {
            "id": 1001,
            "changed": "03/10/2026 14:22",
            "mail": " Jane@Example.com ",
            "mail2": None,
            "tel": "(415) 555-0100",
            "fname": "Jane",
            "dob": "14.02.1985",
            "unmapped": "ignored",
        }
    )
    assert record.source == "crm" and record.record_id == "1001"
    assert record.observed_at == datetime(2026, 10, 3, 14, 22, tzinfo=UTC)
    assert [(i.kind, i.value) for i in record.identifiers] == [
        ("email", "Jane@Example.com"),
        ("phone", "(415) 555-0100"),
    ]
    assert record.attributes == {"first_name": "Jane", "birth_date": "1985-02-14"}


def test_blank_observed_at_and_no_mapping_for_it_use_the_file_time() -> None:
    assert mapped({"id": "1", "changed": "  "}).observed_at == FILE_TIME
    mapping = parse_mapping("source: {column: src}\nrecord_id: {column: id}\n")
    record = MappedRows(mapping, FILE_TIME, CHECK).record({"src": "web", "id": "7"}).record
    assert (record.source, record.observed_at) == ("web", FILE_TIME)


def test_one_observed_at_for_the_whole_file() -> None:
    mapping = parse_mapping("source: crm\nrecord_id: {column: id}\nobserved_at: 2026-01-31\n")
    record = MappedRows(mapping, FILE_TIME, CHECK).record({"id": "1"}).record
    assert record.observed_at == datetime(2026, 1, 31, tzinfo=UTC)


def test_a_list_cell_holds_several_identifiers() -> None:
    made = MappedRows(MAPPING, FILE_TIME, CHECK).record(
        {"id": "1", "mail": ["a@example.com", None, "b@example.com"]}
    )
    assert [i.value for i in made.record.identifiers] == ["a@example.com", "b@example.com"]
    assert made.identifier_fields == (
        "identifiers.email[0] (column 'mail')[0]",
        "identifiers.email[0] (column 'mail')[1]",
    )


def test_bad_fields_are_named_by_key_path_and_column_never_by_value() -> None:
    problems = rejected(
        {
            "id": None,
            "changed": "2026-10-03",
            "mail": "not-an-email",
            "tel": "12",
            "fname": {"nested": 1},
            "dob": "31.02.1985",
        }
    )
    assert problems == [
        ("record_id (column 'id')", "missing"),
        ("observed_at (column 'changed')", "does not match the format '%d/%m/%Y %H:%M'"),
        ("attributes.first_name (column 'fname')", "an object where one value is expected"),
        ("attributes.birth_date (column 'dob')", "does not match the format '%d.%m.%Y'"),
    ]
    identifier_problems = rejected({"id": "1", "mail": "not-an-email", "tel": "12"})
    assert [field for field, _ in identifier_problems] == [
        "identifiers.email[0] (column 'mail')",
        "identifiers.phone[0] (column 'tel')",
    ]
    assert identifier_problems[0][1].startswith("invalid email: ")
    assert identifier_problems[1][1] == "invalid phone: not a possible phone number"
    assert not any("not-an-email" in message for _, message in identifier_problems)


def test_record_limits_name_the_field() -> None:
    problems = rejected({"id": "x" * 300})
    assert problems == [("record_id (column 'id')", "String should have at most 256 characters")]
    problems = rejected({"id": "1", "mail": "a" * 600 + "@example.com"})
    assert problems[0][0] == "identifiers.email[0] (column 'mail')"


def test_native_jsonl_records_and_their_problems() -> None:
    rows = NativeRows(FILE_TIME, CHECK)
    made = rows.record({"source": "web", "record_id": "u-1", "identifiers": []})
    assert made.record.observed_at == FILE_TIME
    sent = datetime(2026, 1, 2, tzinfo=UTC)
    made = rows.record({"source": "web", "record_id": "u-1", "observed_at": sent.isoformat()})
    assert made.record.observed_at == sent
    problems = rejected(
        {"record_id": "u-1", "identifiers": [{"kind": "email", "value": "a@example.com"}, {}]},
        rows,
    )
    assert ("source", "Field required") in problems
    assert ("identifiers[1].kind", "Field required") in problems
    problems = rejected(
        {"source": "web", "record_id": "u-2", "identifiers": [{"kind": "fax", "value": "1"}]},
        rows,
    )
    assert problems[0][0] == "identifiers[0].kind"
    assert problems[0][1].startswith("invalid fax: unknown kind")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("  ", None),
        (" 02134 ", "02134"),
        (94110, "94110"),
        (94110.0, "94110"),
        (float("nan"), None),
        (1.5, "1.5"),
        (Decimal("94110.00"), "94110"),
        (Decimal("2.50"), "2.50"),
        (True, "true"),
        (date(1990, 2, 1), "1990-02-01"),
        (datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05"),
        (b"caf\xc3\xa9", "café"),
    ],
)
def test_cells_as_text(value: object, text: str | None) -> None:
    assert as_text(value) == text


def test_text_with_a_date_format() -> None:
    assert as_text("01/02/1990", "%d/%m/%Y") == "1990-02-01"
    assert as_text("01/02/1990 10:30", "%d/%m/%Y %H:%M") == "1990-02-01T10:30:00"
    with pytest.raises(ValueError, match="format"):
        as_text("1990-02-01", "%d/%m/%Y")
    with pytest.raises(ValueError, match="list"):
        as_text(["a"])
    with pytest.raises(ValueError, match="not UTF-8"):
        as_text(b"\xff")


def test_times() -> None:
    assert as_time("2026-11-01T12:00:00Z") == datetime(2026, 11, 1, 12, tzinfo=UTC)
    assert as_time("2026-11-01 12:00") == datetime(2026, 11, 1, 12, tzinfo=UTC)
    assert as_time(date(2026, 11, 1)) == datetime(2026, 11, 1, tzinfo=UTC)
    assert as_time(datetime(2026, 11, 1, 12)) == datetime(2026, 11, 1, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="ISO 8601"):
        as_time("yesterday")
    with pytest.raises(ValueError, match="a number"):
        as_time(1_700_000_000)


class ListSink:
    """Takes batches like IngestService.ingest; refuses records whose id is in ``refuse``
    the way the service does (422 naming the batch position), storing nothing of the batch."""

    def __init__(self, refuse: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.batches: list[list[str]] = []
        self.refuse = refuse

    def ingest(self, records: Sequence[SourceRecord]) -> list[object]:
        errors = [
            FieldError(
                ("identifiers", 0, "value"),
                "refused",
                "invalid",
                RecordRef(i, r.source, r.record_id),
            )
            for i, r in enumerate(records)
            if r.record_id in self.refuse
        ]
        if errors:
            raise InvalidInputError("refused", errors)
        self.batches.append([r.record_id for r in records])
        return []


def test_the_loader_leaves_bad_rows_out_and_stores_the_rest_in_batches(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    lines = ["id,mail"] + [f"{n},u{n}@example.com" for n in range(1, 8)]
    lines[3] = "3,broken"  # not an email: left out before batching
    lines[5] = "5,a,b"  # too many cells
    path.write_text("\n".join(lines) + "\n")
    sink, bad = ListSink(refuse={"6"}), []
    mapping = parse_mapping(
        "source: crm\nrecord_id: {column: id}\nidentifiers: {email: {column: mail}}"
    )
    loader = FileLoader(
        sink, mapping, batch_size=2, known_kinds=["email"], check=CHECK, on_bad_row=bad.append
    )
    (reader,) = loader.open([path])
    report = loader.load(reader)
    assert sink.batches == [["1", "2"], ["4"], ["7"]]
    assert (report.rows, report.stored, report.bad) == (7, 4, 3)
    assert [(b.line, b.field) for b in bad] == [
        (4, "identifiers.email[0] (column 'mail')"),
        (6, "(row)"),
        (7, "identifiers.email[0] (column 'mail')"),
    ]
    assert bad[2].message == "refused by ingestion (invalid)"
    assert [b.record for b in bad] == ["crm|3", None, "crm|6"]
    assert isinstance(bad[0], BadRow)
    assert str(bad[0]).startswith(f"{path} line 4 (record crm|3): identifiers.email[0]")


def test_the_loader_checks_every_file_before_loading_any(tmp_path: Path) -> None:
    good, wrong = tmp_path / "a.csv", tmp_path / "b.csv"
    good.write_text("id,mail\n1,a@example.com\n")
    wrong.write_text("id,email\n1,a@example.com\n")
    mapping = parse_mapping(
        "source: crm\nrecord_id: {column: id}\nidentifiers: {email: {column: mail}}"
    )
    sink = ListSink()
    loader = FileLoader(sink, mapping, batch_size=10, known_kinds=["email"])
    with pytest.raises(InvalidInputError, match=r"b.csv: identifiers.email\[0\]: column 'mail'"):
        loader.open([good, wrong])
    assert sink.batches == []
    with pytest.raises(InvalidInputError, match="a CSV file needs --mapping"):
        FileLoader(sink, None, batch_size=10).open([good])


def test_a_file_broken_midway_keeps_what_came_before_and_the_next_file_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.loading.readers.CSV_BLOCK_BYTES", 4096)
    broken, good = tmp_path / "a.csv", tmp_path / "b.csv"
    rows = b"".join(b"%d,u%d@example.com\n" % (n, n) for n in range(20_000))
    broken.write_bytes(b"id,mail\n" + rows + b"x,\x81@example.com\n")
    good.write_text("id,mail\nb1,b1@example.com\n")
    mapping = parse_mapping(
        "source: crm\nrecord_id: {column: id}\nidentifiers: {email: {column: mail}}\n"
        "csv: {encoding: cp1252}\n"
    )
    sink = ListSink()
    loader = FileLoader(sink, mapping, batch_size=1000, known_kinds=["email"], check=CHECK)
    first, second = (loader.load(reader) for reader in loader.open([broken, good]))
    assert first.error is not None and "unreadable after line" in first.error
    assert 0 < first.stored == first.rows < 20_000
    assert sum(len(b) for b in sink.batches[:-1]) == first.stored
    assert (second.stored, second.error, sink.batches[-1]) == (1, None, ["b1"])
