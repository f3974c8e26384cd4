"""The bulk read phase on every core: each worker validates and normalises a share of rows.

``load_files`` reads a file in one process; most of its time goes to validating and
normalising records (e-mail and phone parsing, pydantic), which are pure per record. Here
``workers`` forked processes each read every file with the same :class:`FileLoader`, but
each validates and normalises only every ``workers``-th row (its shard), so bad rows are
reported by the same code with the same lines and fields. The parent merges the shards
back into file order (a record sent twice keeps its later row, as in one process).

This process reads the first shard itself. The other shards' records travel back as
plain tuples and are rebuilt without validating them again
(:meth:`pydantic.BaseModel.model_construct`): pickling the models themselves costs about
as much as making them.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from app.bulk.parallel import fork_map
from app.bulk.service import CollectingIngest
from app.loading.console import SHOWN_BAD_ROWS, LoadSummary, bad_row_line
from app.loading.loader import BadRow, FileLoad, FileLoader
from app.loading.mapping import RecordMapping
from app.loading.readers import TableReader
from graph_models.consent import ConsentStatement
from graph_models.identifiers import Identifier
from graph_models.records import NormalisedRecord

#: A normalised record as it travels between processes (see :func:`pack`).
Packed = tuple[
    str, str, datetime, tuple[tuple[str, str], ...], dict[str, str], str, tuple[Any, ...]
]


def pack(record: NormalisedRecord) -> Packed:
    """The record's fields as plain values (cheap to pickle)."""
    return (
        record.source,
        record.record_id,
        record.observed_at,
        tuple((i.kind, i.value) for i in record.identifiers),
        record.attributes,
        record.content_hash,
        record.consent,
    )


def unpack(packed: Packed) -> NormalisedRecord:
    """The record :func:`pack` took apart (validated already, so not validated again)."""
    source, record_id, observed_at, identifiers, attributes, content_hash, consent = packed
    consent_statements: tuple[ConsentStatement, ...] = consent
    return NormalisedRecord.model_construct(
        source=source,
        record_id=record_id,
        observed_at=observed_at,
        identifiers=tuple(Identifier.model_construct(kind=k, value=v) for k, v in identifiers),
        attributes=attributes,
        content_hash=content_hash,
        consent=consent_statements,
    )


#: Where a record's row is in the input: file number, then line (or Parquet row).
Position = tuple[int, int]


def _same(record: NormalisedRecord) -> NormalisedRecord:
    return record


@dataclass
class Shard:
    """What one worker read: its records (packed, with their positions), per-file counts
    and its bad rows."""

    records: list[tuple[Position, NormalisedRecord | Packed]] = field(default_factory=list)
    files: list[FileLoad] = field(default_factory=list)
    bad_rows: list[tuple[Position, BadRow]] = field(default_factory=list)


def read_files(
    collector: CollectingIngest,
    readers: Sequence[TableReader],
    mapping: RecordMapping | None,
    batch_size: int,
    workers: int,
    on_rows: Callable[[int], None] = lambda _rows: None,
) -> tuple[list[FileLoad], list[BadRow]]:
    """Read ``readers`` (opened by :meth:`FileLoader.open`) in ``workers`` processes into
    ``collector.records``, in input order.

    Returns:
        per file what was read (rows, stored, bad, error, unseen columns), and every bad
        row in input order.
    """
    engine = collector.engine
    read_rows = multiprocessing.Array("q", workers, lock=False)

    def read_shard(index: int) -> Shard:
        shard = Shard()
        sink = CollectingIngest(engine, collector.suppression.settings)
        positions: list[int] = []
        done = 0

        def progress(load: FileLoad) -> None:
            read_rows[index] = done + load.rows

        loader = FileLoader(
            sink,
            mapping,
            batch_size,
            known_kinds=sorted(engine.normaliser.kinds),
            check=engine.normaliser.identifier,
            on_bad_row=lambda bad: shard.bad_rows.append(
                ((len(shard.files), bad.line or bad.row or 0), bad)
            ),
            on_progress=progress,
            shard=(index, workers),
            on_stored=lambda rows: positions.extend(r.line or r.row or 0 for r in rows),
        )
        # only a worker's records cross to this process
        packing = pack if multiprocessing.parent_process() is not None else _same
        for number, reader in enumerate(readers):
            load = loader.load(reader)
            shard.files.append(load)
            done += load.rows
            shard.records.extend(
                ((number, at), packing(r)) for at, r in zip(positions, sink.records, strict=True)
            )
            positions.clear()
            sink.records = []
        return shard

    finished = threading.Event()

    def report_progress() -> None:
        while not finished.wait(0.5):
            on_rows(min(read_rows))

    reporter = threading.Thread(target=report_progress, daemon=True)
    reporter.start()
    try:
        shards = list(fork_map(read_shard, range(workers), workers, first_here=True))
    finally:
        finished.set()
        reporter.join()
    on_rows(min(read_rows))
    merged = sorted((r for s in shards for r in s.records), key=lambda r: r[0])
    collector.records.extend(r if isinstance(r, NormalisedRecord) else unpack(r) for _, r in merged)
    # stable: the problems of one row stay in the order they were found
    bad_rows = sorted((b for s in shards for b in s.bad_rows), key=lambda b: b[0])
    return _files(shards), [bad for _, bad in bad_rows]


def _files(shards: list[Shard]) -> list[FileLoad]:
    """Per file: rows as every shard read them all; stored and bad rows summed."""
    files = []
    for position, first in enumerate(shards[0].files):
        loads = [s.files[position] for s in shards]
        files.append(
            FileLoad(
                first.path,
                rows=first.rows,
                stored=sum(f.stored for f in loads),
                bad=sum(f.bad for f in loads),
                error=next((f.error for f in loads if f.error), None),
                unseen_columns=first.unseen_columns,
            )
        )
    return files


def read_into(
    collector: CollectingIngest,
    readers: Sequence[TableReader],
    mapping: RecordMapping | None,
    batch_size: int,
    workers: int,
    errors_to: Path | None,
    on_rows: Callable[[int], None],
) -> LoadSummary:
    """:func:`read_files`, with the summary ``load_files`` gives (bad rows shown and
    written to ``errors_to``)."""
    started = time.perf_counter()
    files, bad_rows = read_files(collector, readers, mapping, batch_size, workers, on_rows)
    if errors_to is not None:
        with errors_to.open("w", encoding="utf-8") as handle:
            handle.writelines(bad_row_line(b) for b in bad_rows)
    return LoadSummary(files, bad_rows[:SHOWN_BAD_ROWS], time.perf_counter() - started)
