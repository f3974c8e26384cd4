"""What the action being audited adds to its entry: target ids and counts.

The API middleware and the CLI decorator open a :class:`Pending` entry for the request or
command; code running inside it calls :func:`note` (a no-op outside one). Only ids and
counts go in, never a personal value: ``note("customer:C-…", records=12)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class Pending:
    """The targets and counts of the action being audited, so far."""

    targets: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


_pending: ContextVar[Pending | None] = ContextVar("idgraph_audit", default=None)


def note(*targets: str, **counts: int) -> None:
    """Add target ids (``kind:id``) and counts to the entry of the action being audited.

    Counts of the same name add up (a command that ingests in batches notes each batch).
    """
    pending = _pending.get()
    if pending is None:
        return
    pending.targets.extend(targets)
    for name, value in counts.items():
        pending.counts[name] = pending.counts.get(name, 0) + int(value)


@contextmanager
def pending() -> Iterator[Pending]:
    """Open the entry that :func:`note` adds to, for the current context."""
    entry = Pending()
    token = _pending.set(entry)
    try:
        yield entry
    finally:
        _pending.reset(token)
