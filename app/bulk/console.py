"""``idgraph load --bulk`` on a terminal: a progress bar per phase, and the summary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.bulk.reading import read_into
from app.bulk.service import BulkLoader, BulkReport, CollectingIngest
from app.core.config import Settings
from app.loading.console import LoadSummary, print_summary
from app.loading.loader import FileLoader
from app.loading.mapping import RecordMapping


def bulk_load_files(
    console: Console,
    settings: Settings,
    paths: list[Path],
    mapping: RecordMapping | None,
    errors_to: Path | None,
    replace: bool = False,
    work_dir: Path | None = None,
) -> tuple[LoadSummary, BulkReport]:
    """Read ``paths`` (bad rows reported and left out) and bulk-load the good records.

    Raises:
        BulkLoadError: the graph is not empty, the store is not local, the import failed.
        MappingError, UnreadableFileError: found before anything is loaded.
    """
    summary = LoadSummary()
    # Every phase is a bar of one display, started when the first phase begins.
    progress = Progress(
        TextColumn("  [bold]{task.description}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )

    def phase(name: str, total: int | None) -> Callable[[int], None]:
        progress.start()
        task = progress.add_task(name, total=total)

        def advance(n: int) -> None:
            progress.advance(task, n)
            if total is None:
                progress.update(task, total=1, completed=1)

        return advance

    def read(collector: CollectingIngest) -> None:
        engine = collector.engine
        batch_size = settings.max_batch_size
        kinds = sorted(engine.normaliser.kinds)
        readers = FileLoader(collector, mapping, batch_size, kinds).open(paths)
        estimated = [r.estimated_rows() for r in readers]
        total = None if None in estimated else sum(n or 0 for n in estimated)
        advance = phase(f"read and normalise ({loader.workers} processes)", total)
        shown = 0

        def rows_read(rows: int) -> None:
            nonlocal shown
            advance(rows - shown)
            shown = rows

        read_summary = read_into(
            collector, readers, mapping, batch_size, loader.workers, errors_to, rows_read
        )
        summary.files, summary.bad_rows = read_summary.files, read_summary.bad_rows

    def say(message: str) -> None:
        progress.console.print(f"  {escape(message)}")

    try:
        loader = BulkLoader(settings, work_dir, say=say, phase=phase)
        report = loader.load(read, replace=replace)
    finally:
        progress.stop()
    summary.seconds = report.total_seconds
    return summary, report


def print_bulk_report(console: Console, report: BulkReport) -> None:
    """What was written, each phase's time and the overall rate."""
    rate = report.records / max(report.total_seconds, 1e-9)
    console.print(
        f"bulk-loaded {report.records} records: {report.identifiers} identifiers, "
        f"{report.links} links, {report.similar} look-alike links, {report.customers} "
        f"customers, {report.shared} shared identifiers; store {report.store_bytes / 2**20:.1f} "
        f"MiB; {report.total_seconds:.1f}s ({rate:.0f} records/s)",
        soft_wrap=True,
    )
    phases = ", ".join(f"{name} {s:.1f}s" for name, s in report.seconds.items())
    console.print(f"  phases: {phases}", soft_wrap=True)


__all__ = ["bulk_load_files", "print_bulk_report", "print_summary"]
