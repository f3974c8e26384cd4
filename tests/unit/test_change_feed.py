"""The change feed's cursor and its gap rule, without a database."""

from __future__ import annotations

from typing import Any

import pytest

from app.changes import cursor
from app.changes.feed import ChangeFeed
from app.core.errors import InvalidInputError


@pytest.mark.parametrize("sequence", [0, 1, 42, 10**12, cursor.MAX_SEQUENCE])
def test_cursor_round_trip(sequence: int) -> None:
    encoded = cursor.encode(sequence)
    assert len(encoded) <= cursor.MAX_LENGTH
    assert cursor.decode(encoded) == sequence


@pytest.mark.parametrize("bad", ["", "x", "djE6", "djE6LTE", "djE6MDE", "djI6MQ", "djE6MQ!", "€"])
def test_bad_cursors_name_the_field(bad: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        cursor.decode(bad, ("after",))
    assert raised.value.errors[0].field == ("after",)


def test_too_large_sequence_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        cursor.decode(cursor.encode(cursor.MAX_SEQUENCE + 1))


class Reads:
    """A store answering successive reads from a script: each read sees the given numbers."""

    def __init__(self, *reads: list[int]) -> None:
        self.reads = list(reads)
        self.calls: list[tuple[int, int]] = []

    def events_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        self.calls.append((after, limit))
        visible = self.reads.pop(0)
        return [{"seq": s} for s in visible if s > after][:limit]

    def head(self) -> int:
        return 0


def seqs(rows: list[dict[str, Any]]) -> list[int]:
    return [r["seq"] for r in rows]


def test_contiguous_page_is_read_once() -> None:
    store = Reads([3, 4, 5])
    rows, more = ChangeFeed(store).events(2, 3)
    assert seqs(rows) == [3, 4, 5] and more
    assert store.calls == [(2, 3)]


def test_a_gap_being_committed_is_not_skipped() -> None:
    """The first read passed 4 before it committed and then saw 5: the second read (which
    starts after 5 committed) sees 4, and the page goes on to 5 but not past a new gap."""
    store = Reads([3, 5], [3, 4, 5, 7])
    rows, more = ChangeFeed(store).events(2, 10)
    assert seqs(rows) == [3, 4, 5] and more


def test_a_gap_still_there_on_the_second_read_does_not_exist() -> None:
    store = Reads([3, 5, 6], [3, 5, 6, 8])
    rows, _ = ChangeFeed(store).events(2, 10)
    assert seqs(rows) == [3, 5, 6]


def test_gap_at_the_start() -> None:
    store = Reads([4], [3, 4])
    rows, _ = ChangeFeed(store).events(2, 10)
    assert seqs(rows) == [3, 4]
