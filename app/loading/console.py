"""``idgraph load`` and ``idgraph ingest`` on a terminal: progress bars and the summary."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from app.loading.loader import BadRow, FileLoad, FileLoader
from app.loading.mapping import RecordMapping

if TYPE_CHECKING:
    from app.ingest.service import IngestService

#: Bad rows printed on the terminal; all of them go to ``--errors FILE``.
SHOWN_BAD_ROWS = 20


@dataclass
class LoadSummary:
    """What a whole load did: per file, the bad rows shown, and the time taken."""

    files: list[FileLoad] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.files)

    @property
    def bad(self) -> int:
        return sum(f.bad for f in self.files)

    @property
    def ok(self) -> bool:
        """Every row of every file was stored."""
        return not self.bad and not any(f.error for f in self.files)


def bad_row_line(bad: BadRow) -> str:
    """One line of ``--errors FILE``: where the row is and which field is wrong (no values)."""
    where = {"file": bad.file, "line": bad.line, "row": bad.row, "record": bad.record}
    return json.dumps({**where, "field": bad.field, "message": bad.message}) + "\n"


def load_files(
    console: Console,
    ingestion: IngestService,
    paths: Sequence[Path],
    mapping: RecordMapping | None,
    batch_size: int,
    errors_to: Path | None = None,
) -> LoadSummary:
    """Load files through the live ingest path with a progress bar per file.

    Raises:
        MappingError, UnreadableFileError: found before anything is loaded.
    """
    summary = LoadSummary()
    errors_file: IO[str] | None = None
    tasks: dict[Path, TaskID] = {}

    def bad_row(bad: BadRow) -> None:
        if len(summary.bad_rows) < SHOWN_BAD_ROWS:
            summary.bad_rows.append(bad)
        if errors_file is not None:
            errors_file.write(bad_row_line(bad))

    started = file_started = time.perf_counter()
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} rows"),
        TextColumn("{task.fields[stored]} stored, {task.fields[bad]} bad"),
        TextColumn("{task.fields[rate]:>6.0f} records/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:

        def advanced(load: FileLoad) -> None:
            rate = load.stored / max(time.perf_counter() - file_started, 1e-9)
            progress.update(
                tasks[load.path], completed=load.rows, stored=load.stored, bad=load.bad, rate=rate
            )

        engine = ingestion.engine
        loader = FileLoader(
            ingestion,
            mapping,
            min(batch_size, engine.settings.max_batch_size),
            known_kinds=sorted(engine.normaliser.kinds),
            check=engine.normaliser.identifier,
            on_bad_row=bad_row,
            on_progress=advanced,
        )
        readers = loader.open(paths)
        for reader in readers:
            tasks[reader.path] = progress.add_task(
                reader.path.name, total=reader.estimated_rows(), stored=0, bad=0, rate=0.0
            )
        try:
            if errors_to is not None:
                errors_file = errors_to.open("w", encoding="utf-8")
            for reader in readers:
                file_started = time.perf_counter()
                load = loader.load(reader)
                summary.files.append(load)
                progress.update(tasks[reader.path], total=load.rows, completed=load.rows)
        finally:
            if errors_file is not None:
                errors_file.close()
    summary.seconds = time.perf_counter() - started
    return summary


def print_summary(console: Console, summary: LoadSummary, errors_to: Path | None) -> None:
    """Per file what was stored, the first bad rows, and what to do about them. Lines are
    not wrapped (soft wrap), so that they can be searched for ``line 12``."""

    def say(text: str) -> None:
        console.print(text, soft_wrap=True)

    for load in summary.files:
        line = escape(f"{load.path}: {load.rows} rows, {load.stored} stored, {load.bad} bad")
        say(line if not load.bad else f"[yellow]{line}[/]")
        if load.error:
            say(f"  [red]stopped:[/] {escape(load.error)}; the rows before were stored")
        if load.unseen_columns:
            say(f"  [yellow]mapped keys no line had:[/] {escape(str(load.unseen_columns))}")
    rate = summary.stored / max(summary.seconds, 1e-9)
    say(
        f"stored {summary.stored} records from {len(summary.files)} file(s) in "
        f"{summary.seconds:.1f}s ({rate:.0f}/s)"
    )
    for bad in summary.bad_rows:
        say(f"[yellow]bad row[/] {escape(str(bad))}")
    shown = len({(b.file, b.line, b.row) for b in summary.bad_rows})
    if summary.bad > shown:
        more = f"all in {errors_to}" if errors_to else "list them all with --errors FILE"
        say(escape(f"… and {summary.bad - shown} more bad rows ({more})"))
    if summary.bad:
        say(
            f"{summary.bad} bad row(s) left out; the other rows are stored. Fix them and "
            "run the same command again: stored records are not counted twice."
        )
