"""``idgraph retention apply`` on a terminal: a progress bar per rule and the summary."""

from __future__ import annotations

from threading import Event

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from app.privacy.retention.rules import RetentionRule
from app.privacy.retention.service import RetentionReport, RetentionService

#: Record refs printed per rule in a dry run.
SHOWN_REFS = 50


def apply_with_progress(
    console: Console,
    service: RetentionService,
    dry_run: bool,
    max_batches: int | None,
    stop: Event | None = None,
) -> RetentionReport:
    """Apply (or dry-run) the rules with a progress bar per rule."""
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bars:

        def progress(rule: RetentionRule, done: int, total: int) -> None:
            if rule.name not in tasks:
                what = "records" if rule.source else "identifiers"
                verb = "finding" if dry_run else "removing"
                tasks[rule.name] = bars.add_task(
                    f"{verb} expired {what}: {escape(rule.name)}", total=total
                )
            bars.update(tasks[rule.name], completed=done, total=total)

        return service.apply(dry_run=dry_run, max_batches=max_batches, progress=progress, stop=stop)


def print_report(console: Console, report: RetentionReport) -> None:
    """The counts per rule; in a dry run, the records concerned."""
    title = "retention dry run: nothing was changed" if report.dry_run else "retention"
    table = Table(title=title)
    for column in (
        "rule",
        "cutoff",
        "expired",
        "records deleted",
        "records scrubbed",
        "identifiers removed",
        "customers",
    ):
        table.add_column(column)
    for o in report.rules:
        table.add_row(
            escape(o.rule.describe()),
            o.cutoff.isoformat(timespec="seconds"),
            str(o.expired),
            "-" if report.dry_run else str(o.records_deleted),
            "-" if report.dry_run else str(o.records_scrubbed),
            "-" if report.dry_run else str(o.identifiers_removed),
            "-" if report.dry_run else str(o.customers_affected),
        )
    console.print(table)
    if report.dry_run:
        for o in report.rules:
            what = "would be deleted" if o.rule.source else "would lose an identifier"
            console.print(f"{escape(o.rule.name)}: {len(o.record_refs)} record(s) {what}")
            for ref in o.record_refs[:SHOWN_REFS]:
                console.print(f"  {escape(ref)}")
            if len(o.record_refs) > SHOWN_REFS:
                console.print(f"  … and {len(o.record_refs) - SHOWN_REFS} more")
    if not report.complete:
        console.print(
            "[yellow]stopped before the end (--max-batches); run it again to finish[/yellow]"
        )
