"""The change feed: every customer change in commit order, read from Neo4j.

Each history event gets a sequence number from one counter in the transaction that writes
it (``cypher/queries/create_events.cypher``); the counter's write lock is held until that
transaction has committed, so numbers are handed out in commit order and densely (a
rolled-back transaction gives its numbers back). Reading is where care is needed: Neo4j
reads at read-committed, so a statement scanning the sequence index may pass number N
just before N commits and then see N+1, which committed after N. :meth:`ChangeFeed.page`
therefore never returns an event past a gap it has not confirmed (README, "Change feed").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.changes import cursor
from app.engine.ports import FeedStore
from graph_models.changes import ChangePage, FeedEvent

log = logging.getLogger(__name__)


def _contiguous(rows: Sequence[dict[str, Any]], after: int) -> int:
    """How many leading rows are numbered after+1, after+2, ... without a gap."""
    count = 0
    for row in rows:
        if row["seq"] != after + count + 1:
            break
        count += 1
    return count


class ChangeFeed:
    """Pages through the stored history events by sequence number.

    Args:
        store: the feed's storage.
    """

    def __init__(self, store: FeedStore) -> None:
        self.store = store

    def events(self, after: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``limit`` events numbered after ``after``, with no unconfirmed gap.

        A gap at number N seen while a later number M is visible is resolved by reading
        again: M's transaction took its number after N's had committed (the counter's lock
        is released only after commit), so a statement that starts once M has been seen
        sees every event numbered below M that exists. Numbers up to M missing from the
        second read do not exist (an event deleted by hand) and are skipped; beyond M the
        page stops at the first gap, to be read on the next call.

        Returns:
            (rows in sequence order, whether more may follow at once)
        """
        rows = self.store.events_after(after, limit)
        whole = _contiguous(rows, after)
        if whole == len(rows):
            return rows, len(rows) == limit
        seen = rows[-1]["seq"]
        gap_at = after + whole + 1
        kept = rows[:whole]
        again = self.store.events_after(after + whole, limit - whole)
        confirmed = [row for row in again if row["seq"] <= seen]
        if confirmed and confirmed[0]["seq"] != gap_at:
            missing = (gap_at, confirmed[0]["seq"] - 1)
            log.warning("change feed: events %d..%d do not exist; skipped", *missing)
        kept += confirmed
        rest = again[len(confirmed) :]
        last = kept[-1]["seq"] if kept else after
        kept += rest[: _contiguous(rest, last)]
        return kept, True

    def page(self, after: int, limit: int) -> ChangePage:
        """The API's page: events after the cursor position ``after``, and the next cursor."""
        rows, more = self.events(after, limit)
        changes = [to_event(row) for row in rows]
        return ChangePage(
            changes=changes,
            next=changes[-1].cursor if changes else cursor.encode(after),
            has_more=more,
        )

    def head(self) -> int:
        """The last sequence number handed out."""
        return self.store.head()


def to_event(row: dict[str, Any]) -> FeedEvent:
    """A stored event row (``cypher/queries/feed_page.cypher``) as a feed event."""
    return FeedEvent(
        cursor=cursor.encode(row["seq"]),
        sequence=row["seq"],
        event_id=row["event_id"],
        at=datetime.fromisoformat(row["at"]),
        type=row["type"],
        customer_id=row["customer_id"],
        before=list(row["before"] or []),
        after=list(row["after"] or []),
        reason=row["reason"],
        trigger_record=row["trigger_record"],
    )
