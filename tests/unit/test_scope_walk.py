"""The scope walk reads each identifier's links once, and still finds them all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.ports import ExpandedCustomer, ExpandedMember
from app.engine.resolution.scope import Scope, walk_scope

THRESHOLD = 0.5
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


class GraphUnit:
    """An in-memory graph answering the walk's reads as the Cypher statements do.

    ``customer_of`` is what identifiers say (``expand``); ``members_of`` is what customers
    say (``expand_customers``): they differ when an identifier left its customer between
    the two reads (a read transaction beside a writer).
    """

    def __init__(
        self,
        links: dict[tuple[str, str], float],
        customer_of: dict[str, str | None],
        members_of: dict[str, list[str]] | None = None,
        honour_read_customers: bool = True,
    ) -> None:
        self.links = links
        self.customer_of = customer_of
        self.members_of = members_of
        if self.members_of is None:
            self.members_of = {}
            for key, cid in sorted(customer_of.items()):
                if cid is not None:
                    self.members_of.setdefault(cid, []).append(key)
        self.honour = honour_read_customers
        self.links_read: list[str] = []

    def _links(self, key: str) -> list[tuple[str, float]]:
        self.links_read.append(key)
        out = []
        for (a, b), p in sorted(self.links.items()):
            if p >= THRESHOLD and key in (a, b):
                out.append((b if key == a else a, p))
        return out

    def expand(
        self, keys: Sequence[str], threshold: float, read_customers: Sequence[str] | None = None
    ) -> list[tuple[str, bool, str | None, float | None, list[tuple[str, float]] | None]]:
        rows: list[tuple[str, bool, str | None, float | None, list[tuple[str, float]] | None]]
        rows = []
        for key in keys:
            cid = self.customer_of.get(key)
            skip = (
                self.honour
                and read_customers is not None
                and cid is not None
                and cid not in read_customers
            )
            rows.append((key, False, cid, 0.9 if cid else None, None if skip else self._links(key)))
        return rows

    def expand_customers(
        self, ids: Sequence[str], threshold: float, lock: bool = True
    ) -> list[ExpandedCustomer]:
        assert self.members_of is not None
        return [
            ExpandedCustomer(
                cid,
                CREATED,
                [ExpandedMember(k, False, 0.9, self._links(k)) for k in self.members_of[cid]],
            )
            for cid in ids
        ]

    def lock_customers(self, ids: Sequence[str]) -> None:
        return None

    def any_overrides(self) -> bool:
        return False

    def overrides_of(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        return []

    def policy_attributes(self, keys: Sequence[str], fields: Sequence[str]) -> list[Any]:
        return []


def _walk(unit: GraphUnit, seeds: set[str]) -> Scope:
    return walk_scope(unit, seeds, THRESHOLD, [], lock=False)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[dict[tuple[str, str], float], dict[str, str | None]]:
    keys = [f"k{i}" for i in range(draw(st.integers(2, 12)))]
    links = {}
    for a, b in draw(st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(keys)))):
        if a != b:
            links[(min(a, b), max(a, b))] = draw(st.sampled_from([0.2, 0.6, 0.95]))
    customers = {k: draw(st.sampled_from([None, "c1", "c2", "c3"])) for k in keys}
    return links, customers


@settings(max_examples=200, deadline=None)
@given(graph=graphs(), seed_count=st.integers(1, 3))
def test_the_walk_finds_what_reading_every_identifiers_links_finds(
    graph: tuple[dict[tuple[str, str], float], dict[str, str | None]], seed_count: int
) -> None:
    links, customers = graph
    seeds = set(sorted(customers)[:seed_count])
    reads_all = GraphUnit(links, customers, honour_read_customers=False)
    reads_once = GraphUnit(links, customers)
    expected, got = _walk(reads_all, seeds), _walk(reads_once, seeds)
    assert got.links == expected.links
    assert got.shared == expected.shared
    assert got.old_customer == expected.old_customer
    assert set(got.customers) == set(expected.customers)
    assert len(reads_once.links_read) == len(set(reads_once.links_read))


def test_an_identifier_that_left_its_customer_between_reads_still_gets_its_links() -> None:
    links = {("a", "b"): 0.9, ("b", "c"): 0.9}
    # b says it belongs to c1, but c1's members (read later) no longer include it.
    unit = GraphUnit(links, {"a": None, "b": "c1", "c": "c1"}, members_of={"c1": ["c"]})
    scope = _walk(unit, {"b"})
    assert scope.links == {("a", "b"): 0.9, ("b", "c"): 0.9}
    assert set(scope.shared) == {"a", "b", "c"}
