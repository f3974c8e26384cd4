"""``idgraph audit``: the filters from the command line, and the page as a table or JSON."""

from __future__ import annotations

import sys
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.core.errors import FieldError, InvalidInputError
from graph_models.audit import AuditFilter, AuditPage

#: Targets shown per entry in the table (``--json`` shows them all).
SHOWN_TARGETS = 3


def _moment(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"--{name} {text!r} is not an ISO time such as 2026-12-01T00:00:00Z",
            [FieldError((name,), "not an ISO time")],
        ) from None


def audit_filter(
    action: str | None,
    actor: str | None,
    outcome: str | None,
    target: str | None,
    since: str | None,
    until: str | None,
) -> AuditFilter:
    """The filters of a page (times parsed; the service checks the rest).

    Raises:
        InvalidInputError: ``since`` or ``until`` is not an ISO time.
    """
    return AuditFilter(
        action=action,
        actor=actor,
        outcome=outcome,
        target=target,
        since=_moment("since", since),
        until=_moment("until", until),
    )


def print_audit(console: Console, page: AuditPage, as_json: bool) -> None:
    """Print a page: a table (a few targets each) or one JSON object per line."""
    if as_json:
        for entry in page.entries:
            print(entry.model_dump_json())  # plain lines: rich would wrap and colour them
    else:
        table = Table(title=f"audit log ({len(page.entries)} entries, newest first)")
        for column in ("at", "actor", "action", "outcome", "status", "targets", "counts"):
            table.add_column(column)
        for entry in page.entries:
            shown = ", ".join(entry.targets[:SHOWN_TARGETS])
            if len(entry.targets) > SHOWN_TARGETS:
                shown += f" (+{len(entry.targets) - SHOWN_TARGETS})"
            table.add_row(
                entry.at.isoformat(timespec="seconds"),
                escape(entry.actor),
                escape(entry.action),
                entry.outcome,
                "" if entry.status is None else str(entry.status),
                escape(shown),
                ", ".join(f"{k}={v}" for k, v in sorted(entry.counts.items())),
            )
        console.print(table)
    if page.next and as_json:
        print(f"more: --cursor {page.next}", file=sys.stderr)  # stdout stays JSON lines
    elif page.next:
        console.print(f"more: --cursor {page.next}")
