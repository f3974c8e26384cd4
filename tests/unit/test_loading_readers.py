"""Readers of ``idgraph load``: JSONL, CSV and Parquet rows with the line or row to find them."""

from __future__ import annotations

import bz2
import gzip
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.loading.readers import (
    CsvReader,
    FileFormat,
    JsonlReader,
    ParquetReader,
    UnreadableFileError,
    file_format,
    open_reader,
)


def rows(reader) -> list[tuple[int | None, dict, str | None]]:  # type: ignore[no-untyped-def]
    return [(r.line if r.line is not None else r.row, r.values, r.error) for r in reader]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", FileFormat.CSV),
        ("a.TSV", FileFormat.CSV),
        ("a.csv.gz", FileFormat.CSV),
        ("a.jsonl", FileFormat.JSONL),
        ("a.ndjson.bz2", FileFormat.JSONL),
        ("a.json", FileFormat.JSONL),
        ("a.parquet", FileFormat.PARQUET),
    ],
)
def test_file_format_by_name(name: str, fmt: FileFormat) -> None:
    assert file_format(Path(name)) is fmt


def test_unknown_file_types_are_refused() -> None:
    with pytest.raises(UnreadableFileError, match="unknown file type"):
        file_format(Path("export.xlsx"))


def test_csv_rows_keep_their_physical_lines(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text(
        "id,name,zip\n"  # line 1
        "1,Ann,02134\n"  # 2
        "\n"  # 3: blank, no row
        '2,"Bo\nBob",94110\n'  # 4-5: a quoted value over two lines
        "3,too,many,cells\n"  # 6: bad
        "4,Cy,\n"  # 7: an empty cell is missing
        "5,short\n"  # 8: bad
        ",,\n"  # 9: no values, no row
        '6,"",10001\n'  # 10: a quoted empty string is a value
        "7,Di,99999"  # 11: no final line break
    )
    reader = open_reader(path)
    assert isinstance(reader, CsvReader)
    assert reader.columns == ["id", "name", "zip"]
    assert rows(reader) == [
        (2, {"id": "1", "name": "Ann", "zip": "02134"}, None),
        (4, {"id": "2", "name": "Bo\nBob", "zip": "94110"}, None),
        (6, {}, "4 cells where the header has 3"),
        (7, {"id": "4", "name": "Cy", "zip": None}, None),
        (8, {}, "2 cells where the header has 3"),
        (10, {"id": "6", "name": "", "zip": "10001"}, None),
        (11, {"id": "7", "name": "Di", "zip": "99999"}, None),
    ]
    assert reader.estimated_rows() == 11


def test_a_bad_row_in_a_later_block_keeps_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.loading.readers.CSV_BLOCK_BYTES", 64)
    lines = ["id,email"] + [f"{n},user{n}@example.com" for n in range(1, 200)]
    lines[150] = "150,a,b"
    lines[37] = '37,"two\nlines"'
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    found = rows(CsvReader(path))
    bad = [(line, error) for line, _, error in found if error]
    assert bad == [(152, "3 cells where the header has 2")]
    good = {values["id"]: line for line, values, error in found if not error}
    assert good["1"] == 2 and good["37"] == 38 and good["38"] == 40 and good["199"] == 201
    assert len(found) == 199


def test_csv_with_another_delimiter_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Kunde;Name;Ort\r\nK-1;Jos\xe9;K\xf6ln\r\n".encode("latin-1"))
    reader = open_reader(path, delimiter=";", encoding="latin-1")
    assert rows(reader) == [(2, {"Kunde": "K-1", "Name": "José", "Ort": "Köln"}, None)]


def test_tsv_defaults_to_tab_and_a_utf8_bom_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "export.tsv"
    path.write_bytes(b"\xef\xbb\xbfid\tcity\r\n1\tM\xc3\xbcnchen, BY\r\n")
    assert rows(open_reader(path)) == [(2, {"id": "1", "city": "München, BY"}, None)]


def test_csv_read_as_utf16(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("id,name\n1,Zoë\n", encoding="utf-16")
    assert rows(open_reader(path, encoding="utf-16")) == [(2, {"id": "1", "name": "Zoë"}, None)]


def test_a_cell_that_is_not_utf8_makes_its_row_bad_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"id,name\n1,Ann\n2,Jos\xe9\n3,Cy\n")
    found = list(CsvReader(path))
    assert [(r.line, r.error, r.field) for r in found] == [
        (2, None, None),
        (3, "not valid text in the file's encoding", "name"),
        (4, None, None),
    ]


def test_a_file_not_in_its_encoding_is_refused_saying_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"id,name\n1,Ann\n2,\x81x\n")
    with pytest.raises(UnreadableFileError, match=r"not a readable CSV file \(not cp1252 text"):
        open_reader(path, encoding="cp1252")
    monkeypatch.setattr("app.loading.readers.CSV_BLOCK_BYTES", 4096)
    good = b"".join(b"%d,Ann\n" % n for n in range(50_000))
    path.write_bytes(b"id,name\n" + good + b"50000,\x81x\n")
    reader = open_reader(path, encoding="cp1252")
    read = []
    with pytest.raises(UnreadableFileError, match=r"unreadable after line \d+ .not cp1252 text"):
        read.extend(reader)
    assert 0 < len(read) < 50_000 and read[0].values == {"id": "0", "name": "Ann"}


def test_csv_with_columns_named_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("id,email,email\n1,a,b\n")
    with pytest.raises(UnreadableFileError, match=r"columns named twice: \['email'\]"):
        open_reader(path)


def test_compressed_csv_and_jsonl(tmp_path: Path) -> None:
    csv_path = tmp_path / "a.csv.gz"
    with gzip.open(csv_path, "wt") as handle:
        handle.write("id,name\n1,Ann\n")
    assert rows(open_reader(csv_path)) == [(2, {"id": "1", "name": "Ann"}, None)]
    assert open_reader(csv_path).estimated_rows() is None
    jsonl_path = tmp_path / "a.jsonl.bz2"
    with bz2.open(jsonl_path, "wt") as handle:
        handle.write('{"id": 1}\n')
    assert rows(open_reader(jsonl_path)) == [(1, {"id": 1}, None)]


def test_jsonl_bad_lines_are_numbered_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"id": 1}\n'  # 1: a BOM is skipped
        b"\n"  # 2: blank
        b'{"id": 2, "name": "Ann"\n'  # 3: not closed
        b"[1, 2]\n"  # 4: not an object
        b'{"name": "Jos\xe9"}\n'  # 5: latin-1 in a UTF-8 file
        b'{"id": 6, "tags": ["a"]}\n'
    )
    reader = open_reader(path)
    assert isinstance(reader, JsonlReader) and reader.columns is None
    found = rows(reader)
    assert found[0] == (1, {"id": 1}, None)
    assert found[1][0] == 3 and found[1][2].startswith("not valid JSON (Expecting")
    assert found[2] == (4, {}, "not a JSON object")
    assert found[3] == (5, {}, "not valid UTF-8 (byte 14 of the line)")
    assert found[4] == (6, {"id": 6, "tags": ["a"]}, None)
    assert reader.estimated_rows() == 6


def test_a_json_array_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 1}]))
    assert rows(open_reader(path)) == [(1, {}, "not a JSON object; a JSON array is not JSON Lines")]


def test_parquet_rows_keep_their_types_and_positions(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    table = pa.table(
        {
            "id": pa.array([1, 2, 3], pa.int64()),
            "email": ["a@example.com", None, "c@example.com"],
            "dob": pa.array([date(1990, 2, 1), None, date(1985, 12, 31)], pa.date32()),
            "seen": pa.array(
                [datetime(2026, 11, 1, 12, tzinfo=UTC)] * 3, pa.timestamp("us", tz="UTC")
            ),
            "other": ["x", "y", "z"],
        }
    )
    pq.write_table(table, path, row_group_size=2)
    reader = open_reader(path)
    assert isinstance(reader, ParquetReader)
    assert reader.columns == ["id", "email", "dob", "seen", "other"]
    assert reader.estimated_rows() == 3
    reader.read_columns = ["id", "dob"]
    assert rows(reader) == [
        (1, {"id": 1, "dob": date(1990, 2, 1)}, None),
        (2, {"id": 2, "dob": None}, None),
        (3, {"id": 3, "dob": date(1985, 12, 31)}, None),
    ]
    assert [r.where for r in reader] == ["row 1", "row 2", "row 3"]


def test_a_file_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_text("id,name\n")
    with pytest.raises(UnreadableFileError, match="not a readable Parquet file"):
        open_reader(path)
