"""Readers of the files ``idgraph load`` takes: JSONL, CSV and Parquet, row by row.

CSV and Parquet are read with pyarrow in record batches, so memory stays flat on large
files. CSV cells are read as bytes and decoded here, one cell at a time: a cell that is
not valid UTF-8 makes its row bad (named by line and column) instead of stopping the file;
another encoding is transcoded by pyarrow first. Every CSV value is text (a postcode
``02134`` stays ``02134``), an empty cell is missing. A JSONL line is parsed with the
standard ``json`` module.

Each reader yields :class:`Row` objects numbered the way a person finds them again: JSONL
and CSV by physical ``line`` in the file (``sed -n 12p`` shows it; a quoted CSV value
spanning lines counts all its lines, the row is numbered by its first), Parquet by ``row``
(1 = the first row).
"""

from __future__ import annotations

import bz2
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, cast

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from app.core.errors import InvalidInputError

#: Rows converted to Python at a time (CSV blocks are sized in bytes, Parquet in rows).
PARQUET_BATCH_ROWS = 4096
CSV_BLOCK_BYTES = 1 << 20


class FileFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


_SUFFIXES = {
    ".jsonl": FileFormat.JSONL,
    ".ndjson": FileFormat.JSONL,
    ".json": FileFormat.JSONL,
    ".csv": FileFormat.CSV,
    ".tsv": FileFormat.CSV,
    ".txt": FileFormat.CSV,
    ".parquet": FileFormat.PARQUET,
    ".pq": FileFormat.PARQUET,
}
_COMPRESSED = (".gz", ".bz2")


class UnreadableFileError(InvalidInputError):
    """A file idgraph cannot read (unknown format, not CSV or Parquet, broken midway)."""


def _suffixes(path: Path) -> list[str]:
    suffixes = [s.lower() for s in path.suffixes]
    return suffixes[:-1] if suffixes and suffixes[-1] in _COMPRESSED else suffixes


def file_format(path: Path) -> FileFormat:
    """The format of a file by its name (``.csv``, ``.tsv``, ``.parquet``, ``.jsonl``…;
    a ``.gz`` or ``.bz2`` CSV or JSONL is decompressed on the fly)."""
    suffixes = _suffixes(path)
    found = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise UnreadableFileError(
            f"{path}: unknown file type; name it .jsonl, .csv, .tsv or .parquet"
        )
    return found


@dataclass(frozen=True)
class Row:
    """One row of a file.

    Attributes:
        values: column -> value (None when missing); empty for a row that did not parse.
        line: the physical line the row starts on (JSONL, CSV).
        row: the row's position, 1 = the first (Parquet).
        error: why the row could not be read as a row (a CSV row with too many cells, a
            JSONL line that is not an object); never the row's content.
        field: the column the error is about, when it is about one.
    """

    values: dict[str, Any]
    line: int | None = None
    row: int | None = None
    error: str | None = None
    field: str | None = None

    @property
    def where(self) -> str:
        """``line 12`` or ``row 12``: how a report names the row."""
        return f"line {self.line}" if self.line is not None else f"row {self.row}"


class TableReader:
    """Rows of one file.

    Attributes:
        columns: the file's columns, or None where a file has no header to tell them
            before it is read (JSONL: each line has the keys it has).
    """

    columns: list[str] | None = None

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format = file_format(path)

    def estimated_rows(self) -> int | None:
        """The number of rows, for a progress bar: exact for Parquet, the number of lines
        for CSV and JSONL (None for a compressed file)."""
        if self.path.suffix.lower() in _COMPRESSED:
            return None
        newlines = 0
        last = b"\n"
        with self.path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
        return newlines + (last != b"\n")

    def __iter__(self) -> Iterator[Row]:
        raise NotImplementedError


def open_reader(path: Path, delimiter: str | None = None, encoding: str = "utf-8") -> TableReader:
    """A reader for ``path`` chosen by its name (see :func:`file_format`).

    Args:
        path: the file.
        delimiter: CSV only; default ``,`` (tab for ``.tsv``).
        encoding: CSV only; the file's text encoding (JSON Lines are UTF-8).

    Raises:
        UnreadableFileError: an unknown file type, or a CSV or Parquet file that does not
            open (no header, not Parquet, columns named twice).
    """
    fmt = file_format(path)
    if fmt is FileFormat.CSV:
        tab = _suffixes(path)[-1] == ".tsv"
        return CsvReader(path, delimiter or ("\t" if tab else ","), encoding)
    if fmt is FileFormat.PARQUET:
        return ParquetReader(path)
    return JsonlReader(path)


def _binary_lines(path: Path) -> BinaryIO:
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return cast(BinaryIO, gzip.open(path, "rb"))
    if suffix == ".bz2":
        return cast(BinaryIO, bz2.open(path, "rb"))
    return path.open("rb")


class JsonlReader(TableReader):
    """JSON Lines: one object per line, UTF-8; blank lines are skipped (and counted)."""

    def __iter__(self) -> Iterator[Row]:
        try:
            with _binary_lines(self.path) as handle:
                for number, raw in enumerate(handle, start=1):
                    if number == 1:
                        raw = raw.removeprefix(b"\xef\xbb\xbf")
                    if not raw.strip():
                        continue
                    yield _json_row(raw, number)
        except (OSError, EOFError) as exc:
            raise UnreadableFileError(f"{self.path}: cannot be read ({exc})") from None


def _json_row(raw: bytes, number: int) -> Row:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Row({}, line=number, error=f"not valid UTF-8 (byte {exc.start + 1} of the line)")
    try:
        value = json.loads(text)
    except ValueError as exc:
        return Row({}, line=number, error=f"not valid JSON ({_json_reason(exc)})")
    if not isinstance(value, dict):
        array = number == 1 and text.lstrip()[:1] == "["
        hint = "; a JSON array is not JSON Lines" if array else ""
        return Row({}, line=number, error=f"not a JSON object{hint}")
    return Row(value, line=number)


def _json_reason(exc: ValueError) -> str:
    # json's message names the position, never the text
    return getattr(exc, "msg", "unparseable")


class CsvReader(TableReader):
    """CSV (or TSV) with a header row; every cell is read as text, empty cells as None.

    Quoted values may span lines. A row with more or fewer cells than the header, or a
    cell that is not valid text, is reported as a bad row (its line kept) and the rest of
    the file is read. Blank lines, and lines of bare delimiters, are no rows.
    """

    def __init__(self, path: Path, delimiter: str = ",", encoding: str = "utf-8") -> None:
        super().__init__(path)
        self.delimiter = delimiter
        self.encoding = encoding
        header = self._open(lambda _row: "skip", None).schema.names
        duplicated = sorted({c for c in header if header.count(c) > 1})
        if duplicated:
            raise UnreadableFileError(f"{self.path}: columns named twice: {duplicated}")
        self.columns = list(header)

    def _open(self, handler: Any, columns: list[str] | None) -> pa_csv.CSVStreamingReader:
        try:
            return pa_csv.open_csv(
                pa.input_stream(str(self.path), compression="detect"),
                # one thread: bad rows are then numbered, and reported before the block
                # that follows them is handed out
                read_options=pa_csv.ReadOptions(
                    use_threads=False, block_size=CSV_BLOCK_BYTES, encoding=self.encoding
                ),
                parse_options=pa_csv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=True,
                    # blank lines come as rows of nulls, so that numbering counts them
                    ignore_empty_lines=False,
                    invalid_row_handler=handler,
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(columns or [], pa.binary()),
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, OSError, UnicodeError) as exc:
            raise UnreadableFileError(
                f"{self.path}: not a readable CSV file ({_no_values(exc, self.encoding)})"
            ) from None

    def __iter__(self) -> Iterator[Row]:
        columns = self.columns or []
        # pyarrow numbers records from the header (1), counting blank lines; we count
        # physical lines from the line breaks inside each record's values
        bad: dict[int, tuple[str, int]] = {}

        def on_bad_row(row: Any) -> str:
            # row.text holds the row's values: only its line breaks are kept
            if row.number is not None:
                bad[row.number] = (
                    f"{row.actual_columns} cells where the header has {row.expected_columns}",
                    (row.text or "").count("\n"),
                )
            return "skip"

        reader = self._open(on_bad_row, columns)
        record = 1  # the header
        line = 2 + sum(name.count("\n") for name in columns)  # the first row
        try:
            for batch in reader:
                for cells in batch.to_pylist():
                    record += 1
                    while record in bad:
                        message, breaks = bad.pop(record)
                        yield Row({}, line=line, error=message)
                        line, record = line + 1 + breaks, record + 1
                    if any(c is not None for c in cells.values()):
                        # a blank line (or one of bare delimiters) holds no record
                        yield _decoded(cells, line)
                    line += 1 + sum(c.count(b"\n") for c in cells.values() if c is not None)
        except (pa.ArrowInvalid, UnicodeError) as exc:
            raise UnreadableFileError(
                f"{self.path}: CSV unreadable after line {line - 1} "
                f"({_no_values(exc, self.encoding)})"
            ) from None
        for later in sorted(bad):
            message, breaks = bad[later]
            yield Row({}, line=line, error=message)
            line += 1 + breaks


def _decoded(cells: dict[str, bytes | None], line: int) -> Row:
    values: dict[str, str | None] = {}
    for column, cell in cells.items():
        try:
            values[column] = None if cell is None else cell.decode("utf-8")
        except UnicodeDecodeError:
            return Row({}, line=line, error="not valid text in the file's encoding", field=column)
    return Row(values, line=line)


def _no_values(exc: Exception, encoding: str = "utf-8") -> str:
    """An error's first line without what follows its last colon (often the row's text)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not {encoding} text: byte 0x{exc.object[exc.start]:02x}"
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return message.rsplit(":", 1)[0] if ":" in message else message


class ParquetReader(TableReader):
    """Parquet, read in record batches; values keep their types (dates, times, numbers)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            self._file = pq.ParquetFile(str(path))
        except (pa.ArrowInvalid, OSError) as exc:
            raise UnreadableFileError(f"{path}: not a readable Parquet file ({exc})") from None
        self.columns = list(self._file.schema_arrow.names)
        self.read_columns: list[str] | None = None

    def estimated_rows(self) -> int | None:
        return int(self._file.metadata.num_rows)

    def __iter__(self) -> Iterator[Row]:
        number = 0
        try:
            for batch in self._file.iter_batches(
                batch_size=PARQUET_BATCH_ROWS, columns=self.read_columns
            ):
                for values in batch.to_pylist():
                    number += 1
                    yield Row(values, row=number)
        except (pa.ArrowInvalid, OSError) as exc:
            raise UnreadableFileError(
                f"{self.path}: Parquet unreadable after row {number} ({_no_values(exc)})"
            ) from None
