"""Loading files through the live ingest path, in batches, keeping the good rows.

:class:`FileLoader` reads each file's rows (``readers``), makes records of them
(``records``: with a mapping, or JSONL lines that are records already), and sends them in
batches to the same service ``POST /v1/records`` calls. A bad row is reported (file, line
or row, field, why; never its values) and left out; the rest of its batch is stored. Every
batch is one transaction, so what was stored before a failure stays stored; records are
keyed by ``(source, record_id)`` and a re-sent record with the same content changes
nothing, so a load can simply be run again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from app.core.errors import FieldError, InvalidInputError
from app.loading.mapping import MappingError, RecordMapping
from app.loading.readers import (
    FileFormat,
    ParquetReader,
    Row,
    TableReader,
    UnreadableFileError,
    open_reader,
)
from app.loading.records import (
    FieldProblem,
    IdentifierCheck,
    MappedRows,
    NativeRows,
    RowRecord,
    RowRejected,
    RowsToRecords,
    key_path,
)
from graph_models.records import SourceRecord


class RecordSink(Protocol):
    """Where batches go: :meth:`app.ingest.service.IngestService.ingest` (one transaction
    per batch)."""

    def ingest(self, records: Sequence[SourceRecord]) -> Sequence[object]: ...


@dataclass(frozen=True)
class BadRow:
    """A row left out of a load: where it is and which field is wrong (no values)."""

    file: str
    line: int | None
    row: int | None
    field: str
    message: str
    record: str | None = None

    @property
    def where(self) -> str:
        """``line 12`` (JSONL, CSV) or ``row 12`` (Parquet)."""
        return f"line {self.line}" if self.line is not None else f"row {self.row}"

    def __str__(self) -> str:
        record = f" (record {self.record})" if self.record else ""
        return f"{self.file} {self.where}{record}: {self.field}: {self.message}"


@dataclass
class FileLoad:
    """What loading one file did.

    Attributes:
        rows: rows read (blank lines not counted).
        stored: records sent to the store and accepted (a record already stored with the
            same content counts, and changes nothing).
        bad: rows left out (each reported as a :class:`BadRow`).
        error: the file stopped being readable here; the rows before it were loaded.
        unseen_columns: JSONL with a mapping: mapped keys that no line had.
    """

    path: Path
    rows: int = 0
    stored: int = 0
    bad: int = 0
    error: str | None = None
    unseen_columns: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    rows: list[Row] = field(default_factory=list)
    made: list[RowRecord] = field(default_factory=list)


class FileLoader:
    """Loads files into a :class:`RecordSink` in batches.

    Args:
        sink: the ingest service.
        mapping: how columns make records; None: JSONL lines are records already (CSV
            and Parquet need a mapping).
        batch_size: records per transaction.
        known_kinds: identifier kinds the service accepts (a mapping naming another fails
            before anything is loaded).
        check: normalises one identifier as ingestion will (kind, value, source), so a bad
            identifier is reported with its row; None leaves it to the batch.
        on_bad_row: called for every row left out.
        on_progress: called after every batch with the file's counts so far.
        shard: ``(index, count)``: load only every ``count``-th row, beginning with row
            ``index`` (0-based), and count the others as read. ``count`` loaders, one per
            index, together load every row once (bulk mode runs them in parallel).
        on_stored: called after every batch with the rows whose records the sink took,
            in the order it took them.
    """

    def __init__(
        self,
        sink: RecordSink,
        mapping: RecordMapping | None,
        batch_size: int,
        known_kinds: Sequence[str] = (),
        check: IdentifierCheck | None = None,
        on_bad_row: Callable[[BadRow], None] | None = None,
        on_progress: Callable[[FileLoad], None] | None = None,
        shard: tuple[int, int] = (0, 1),
        on_stored: Callable[[list[Row]], None] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not 0 <= shard[0] < shard[1]:
            raise ValueError("shard must be (index, count) with 0 <= index < count")
        self.sink = sink
        self.mapping = mapping
        self.batch_size = batch_size
        self.known_kinds = list(known_kinds)
        self.check = check
        self.on_bad_row = on_bad_row or (lambda _bad: None)
        self.on_progress = on_progress or (lambda _load: None)
        self.shard = shard
        self.on_stored = on_stored or (lambda _rows: None)

    def open(self, paths: Sequence[Path]) -> list[TableReader]:
        """Open every file and check the mapping against it, before anything is loaded.

        Raises:
            MappingError: the mapping names an unknown identifier kind, or a column a
                CSV or Parquet file lacks (every such problem of every file named).
            UnreadableFileError: a file of unknown type, one that does not open, or a
                CSV or Parquet file given without a mapping.
        """
        if self.mapping is not None and self.known_kinds:
            self.mapping.check_kinds(self.known_kinds)
        readers: list[TableReader] = []
        problems: list[str] = []
        for path in paths:
            csv = self.mapping.csv if self.mapping is not None else None
            reader = open_reader(
                path,
                delimiter=csv.delimiter if csv else None,
                encoding=csv.encoding if csv else "utf-8",
            )
            if self.mapping is None and reader.format is not FileFormat.JSONL:
                raise UnreadableFileError(
                    f"{path}: a {reader.format.value.upper()} file needs --mapping "
                    "(which columns are the source, record id, identifiers, attributes)"
                )
            if self.mapping is not None and reader.columns is not None:
                try:
                    self.mapping.check_columns(path, reader.columns)
                except MappingError as exc:
                    problems.append(exc.message)
                if isinstance(reader, ParquetReader):
                    reader.read_columns = self.mapping.columns()
            readers.append(reader)
        if problems:
            raise MappingError("mapping", problems)
        return readers

    def load(self, reader: TableReader) -> FileLoad:
        """Load one opened file (see :meth:`open`); bad rows are reported and left out.

        A file that stops being readable midway (a broken CSV quote, a truncated
        Parquet file) ends with ``error`` set; the rows before it are stored.
        Errors of the store (Neo4j unreachable) are raised: the batches before are kept.
        """
        report = FileLoad(reader.path)
        observed = datetime.fromtimestamp(reader.path.stat().st_mtime, UTC)
        rows: RowsToRecords = (
            MappedRows(self.mapping, observed, self.check)
            if self.mapping is not None
            else NativeRows(observed, self.check)
        )
        wanted = set(self.mapping.columns()) if self.mapping is not None else set()
        unseen = set(wanted) if reader.columns is None else set()
        pending = _Pending()
        mine, shards = self.shard
        try:
            for row in reader:
                report.rows += 1
                if shards > 1 and (report.rows - 1) % shards != mine:
                    if unseen:
                        unseen.difference_update(row.values)
                    continue
                if row.error is not None:
                    self._bad(report, row, [FieldProblem(row.field or "(row)", row.error)])
                    continue
                if unseen:
                    unseen.difference_update(row.values)
                try:
                    made = rows.record(row.values)
                except RowRejected as exc:
                    self._bad(report, row, exc.problems, exc.record)
                    continue
                pending.rows.append(row)
                pending.made.append(made)
                if len(pending.made) >= self.batch_size:
                    self._flush(report, pending)
        except UnreadableFileError as exc:
            report.error = exc.message
        self._flush(report, pending)
        report.unseen_columns = sorted(unseen) if report.rows else []
        return report

    def _bad(
        self,
        report: FileLoad,
        row: Row,
        problems: Sequence[FieldProblem],
        record: str | None = None,
    ) -> None:
        report.bad += 1
        for problem in problems:
            self.on_bad_row(
                BadRow(str(report.path), row.line, row.row, problem.field, problem.message, record)
            )

    def _flush(self, report: FileLoad, pending: _Pending) -> None:
        if not pending.made:
            self.on_progress(report)
            return
        made, rows = pending.made, pending.rows
        pending.made, pending.rows = [], []
        try:
            self.sink.ingest([m.record for m in made])
        except InvalidInputError as exc:
            # the rows were checked one by one; this is what only the batch could see
            refused = _refused(exc.errors, made)
            for index, problems in sorted(refused.items()):
                self._bad(report, rows[index], problems, made[index].record.key)
            kept = [m.record for i, m in enumerate(made) if i not in refused]
            if kept:
                self.sink.ingest(kept)
            report.stored += len(kept)
            self.on_stored([row for i, row in enumerate(rows) if i not in refused])
        else:
            report.stored += len(made)
            self.on_stored(rows)
        self.on_progress(report)


def _refused(errors: list[FieldError], made: list[RowRecord]) -> dict[int, list[FieldProblem]]:
    """The batch's refused records by position, each with its fields (no values: the
    ingest errors' messages may quote them, so only their type is kept)."""
    refused: dict[int, list[FieldProblem]] = {}
    for error in errors:
        if error.record is None or not 0 <= error.record.index < len(made):
            raise InvalidInputError(f"ingest refused the batch: {error.type}", errors)
        index, rest = error.record.index, list(error.field)
        fields = made[index].identifier_fields
        if rest[:1] == ["identifiers"] and len(rest) > 1 and isinstance(rest[1], int):
            name = fields[rest[1]] if rest[1] < len(fields) else key_path(rest)
        else:
            name = key_path(rest)
        refused.setdefault(index, []).append(
            FieldProblem(name, f"refused by ingestion ({error.type})")
        )
    return refused
