"""The audit log: entries are made here (ids, targets, counts) and paged back, newest first.

Entry ids start with the entry's UTC time (``A-20261201T214200123456-1a2b3c4d``), so they
sort as their times: a page is an id range read in index order, and the cursor is the last
id of the page.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from app.core.errors import FieldError, InvalidInputError
from app.engine.ports import AuditRow, AuditStore
from graph_models.audit import OUTCOMES, AuditEntry, AuditFilter, AuditPage, Channel

MAX_PAGE = 1000
_ID_TIME = "%m%dT%H%M%S%f"  # after a 4-digit year (``%Y`` gives year 1 as "1")
_PREFIX = "A-"
_TOP = _PREFIX + "~"  # above every id ('~' sorts after the digits)
_CURSOR = re.compile(r"A-\d{8}T\d{12}-[0-9a-f]{8}")
#: The shape of the ids idgraph hands out (``C-``, ``O-``, ``W-`` and 16 hex digits).
ISSUED_ID = re.compile(r"[A-Z]-[0-9a-f]{16}")


def _bound(at: datetime) -> str:
    """The id prefix of a time: ids of entries at or after it sort at or above it."""
    moment = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    return f"{_PREFIX}{moment.year:04d}{moment.strftime(_ID_TIME)}"


def new_audit_id(at: datetime) -> str:
    return f"{_bound(at)}-{secrets.token_hex(4)}"


def encode_cursor(audit_id: str) -> str:
    return base64.urlsafe_b64encode(f"v1:{audit_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The audit id a cursor continues after.

    Raises:
        InvalidInputError: not a cursor of this log (names the field ``cursor``).
    """
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    version, _, audit_id = text.partition(":")
    if version != "v1" or not _CURSOR.fullmatch(audit_id):
        raise InvalidInputError(
            "cursor: not a cursor from a page's `next`",
            [FieldError(("cursor",), "not a cursor from a page's `next`")],
        )
    return audit_id


def make_entry(
    *,
    channel: Channel,
    actor: str,
    action: str,
    outcome: str,
    at: datetime | None = None,
    role: str | None = None,
    route: str | None = None,
    targets: Iterable[str] = (),
    counts: Mapping[str, int] | None = None,
    status: int | None = None,
    request_id: str | None = None,
    duration_ms: float | None = None,
) -> AuditEntry:
    """A new entry with a fresh time-ordered id; targets are deduplicated, in order."""
    moment = at or datetime.now(UTC)
    return AuditEntry(
        audit_id=new_audit_id(moment),
        at=moment,
        channel=channel,
        actor=actor,
        role=role,
        action=action,
        route=route,
        targets=list(dict.fromkeys(targets)),
        counts=dict(counts or {}),
        outcome=outcome,
        status=status,
        request_id=request_id,
        duration_ms=duration_ms,
    )


def _row(entry: AuditEntry) -> AuditRow:
    return AuditRow(
        audit_id=entry.audit_id,
        at=entry.at.isoformat(),
        channel=entry.channel.value,
        actor=entry.actor,
        role=entry.role,
        action=entry.action,
        route=entry.route,
        targets=entry.targets,
        counts=json.dumps(entry.counts, sort_keys=True),
        outcome=entry.outcome,
        status=entry.status,
        request_id=entry.request_id,
        duration_ms=entry.duration_ms,
    )


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry.model_validate({**row, "counts": json.loads(row["counts"] or "{}")})


class AuditService:
    """Records audit entries and pages through them.

    Args:
        store: where entries live (``app.store.audit.Neo4jAuditStore``).
    """

    def __init__(self, store: AuditStore) -> None:
        self.store = store

    def record(self, entry: AuditEntry) -> None:
        """Store one entry (one small write transaction)."""
        self.store.record(_row(entry))

    async def record_async(self, entry: AuditEntry) -> None:
        """:meth:`record` without leaving the event loop (the API's middleware)."""
        await self.store.record_async(_row(entry))

    def page(self, filters: AuditFilter, cursor: str | None = None, limit: int = 100) -> AuditPage:
        """Entries passing ``filters``, newest first, after ``cursor`` (a page's ``next``).

        Raises:
            InvalidInputError: a bad cursor, outcome, limit, or ``since`` after ``until``;
                each names its field.
        """
        errors = []
        if filters.outcome is not None and filters.outcome not in OUTCOMES:
            errors.append(FieldError(("outcome",), f"one of {', '.join(OUTCOMES)}"))
        if not 1 <= limit <= MAX_PAGE:
            errors.append(FieldError(("limit",), f"between 1 and {MAX_PAGE}"))
        if filters.since and filters.until and _bound(filters.since) > _bound(filters.until):
            errors.append(FieldError(("since",), "must not be after until"))
        if errors:
            named = "; ".join(f"{e.field[0]}: {e.msg}" for e in errors)
            raise InvalidInputError(f"bad audit query ({named})", errors)
        before = _TOP
        if filters.until is not None:
            before = _bound(filters.until)  # until is exclusive
        if cursor is not None:
            before = min(before, decode_cursor(cursor))
        floor = _bound(filters.since) if filters.since is not None else _PREFIX
        rows = self.store.page(
            {
                "floor": floor,
                "before": before,
                "action": filters.action,
                "actor": filters.actor,
                "outcome": filters.outcome,
                "target": filters.target,
                "limit": limit + 1,
            }
        )
        entries = [_entry(r) for r in rows[:limit]]
        more = len(rows) > limit
        return AuditPage(
            entries=entries, next=encode_cursor(entries[-1].audit_id) if more else None
        )
