"""JSON Lines files in batches, with a progress bar (``idgraph ingest``, the demo)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from app.core.errors import InvalidInputError
from app.ingest.service import IngestService
from graph_models.records import SourceRecord


def _read_jsonl(path: Path, errors: list[str]) -> Iterator[SourceRecord]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield SourceRecord.model_validate_json(line)
            except ValidationError as exc:
                fields = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                errors.append(f"line {number}: {fields}")


def _batches(records: Iterator[SourceRecord], size: int) -> Iterator[list[SourceRecord]]:
    batch: list[SourceRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest_file(
    ingestion: IngestService, path: Path, batch_size: int, console: Console
) -> tuple[int, list[str]]:
    """Ingest a JSONL file in batches with a progress bar; returns (records, problems).

    A line that is not a valid record, or a record with an invalid identifier, is skipped
    and reported; the rest of its batch is ingested.
    """
    problems: list[str] = []
    total = sum(1 for line in path.open(encoding="utf-8") if line.strip())
    done = 0
    started = time.perf_counter()
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[rate]:>8.0f} records/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"ingest {path.name}", total=total, rate=0.0)
        for batch in _batches(_read_jsonl(path, problems), batch_size):
            try:
                ingestion.ingest(batch)
            except InvalidInputError as exc:
                bad = set()
                for err in exc.errors:
                    if err.record is None:  # not about one record: the whole batch is refused
                        raise
                    bad.add((err.record.source, err.record.record_id))
                    where = ".".join(str(p) for p in err.field)
                    problems.append(
                        f"record {err.record.source}|{err.record.record_id}: {where}: {err.msg}"
                    )
                good = [r for r in batch if (r.source, r.record_id) not in bad]
                if good:
                    ingestion.ingest(good)
            done += len(batch)
            rate = done / max(time.perf_counter() - started, 1e-9)
            progress.update(task, completed=done + len(problems), rate=rate)
        progress.update(task, completed=total)
    return done, problems
