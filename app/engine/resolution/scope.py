"""The scope walk: what a change re-evaluates, read from the graph and nothing more.

From seed identifiers, a breadth-first walk over joinable links (links at or above the
threshold between identifiers that are not shared) collects whole connected components;
every customer met on the way brings all its members (so a customer is always
re-clustered whole), and every override of an identifier met brings the identifier at
its other end. One more read fetches the attributes the attribute policies check (birth
date, national id) of the records observing the scope's joinable identifiers.

The live engine walks with locks (customers are locked as they are read, so a concurrent
batch touching them waits and then sees this one's result); ``GET /v1/explain`` walks the
same way without locks, so the explanation replays exactly what the engine clusters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.core.errors import IdgraphError
from app.engine.clustering import AttributePolicy, CannotLink, Link, node_attributes
from app.engine.ports import AttributeReader, ExpandedCustomer
from app.engine.resolution.config import Pair


def override_rule_name(override: dict[str, Any]) -> str:
    """How an override is named in reasons and explanations."""
    return (
        f"override {override['override_id']} ({override['decision']}) by "
        f"{override['actor']}: {override['reason']}"
    )


@dataclass
class Scope:
    """What a change re-evaluates: identifiers, their joinable links and old customers."""

    shared: dict[str, bool] = field(default_factory=dict)
    old_customer: dict[str, str | None] = field(default_factory=dict)
    old_membership: dict[str, float | None] = field(default_factory=dict)
    links: dict[Pair, float] = field(default_factory=dict)
    customers: dict[str, tuple[datetime, set[str]]] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: joinable identifier -> policy field -> {(record key, cleaned value)}
    attributes: dict[str, dict[str, set[tuple[str, str]]]] = field(default_factory=dict)

    def nodes(self) -> list[str]:
        """The joinable (not shared) identifiers, in key order."""
        return sorted(k for k, shared in self.shared.items() if not shared)

    def read_attributes(self, unit: AttributeReader, policies: Sequence[AttributePolicy]) -> None:
        """Read what the attribute policies check for the joinable identifiers (one read)."""
        nodes = self.nodes()
        if not policies or not nodes:
            return
        rows = unit.policy_attributes(nodes, sorted({f for p in policies for f in p.fields}))
        self.attributes = node_attributes(rows, policies)

    def must_links(self) -> list[Link]:
        """Same-customer overrides between joinable identifiers, as links with p = 1."""
        return [
            Link(min(o["a"], o["b"]), max(o["a"], o["b"]), 1.0)
            for o in self.overrides.values()
            if o["decision"] == "same"
            and self.shared.get(o["a"]) is False
            and self.shared.get(o["b"]) is False
        ]

    def cannot_links(self) -> list[CannotLink]:
        return [
            CannotLink(min(o["a"], o["b"]), max(o["a"], o["b"]), override_rule_name(o))
            for o in self.overrides.values()
            if o["decision"] == "different"
        ]

    def visit(
        self,
        key: str,
        shared: bool,
        customer_id: str | None,
        membership: float | None,
        links: Sequence[tuple[str, float]],
        found: set[str],
    ) -> None:
        """Record one identifier met by the walk; add its neighbours to ``found``."""
        self.shared[key] = shared
        self.old_customer[key] = customer_id
        self.old_membership[key] = membership
        for other, p in links:
            # A pair may be both LINKED and SIMILAR: the stronger evidence counts.
            pair = (key, other) if key < other else (other, key)
            self.links[pair] = max(p, self.links.get(pair, 0.0))
            found.add(other)


class ScopeUnit(AttributeReader, Protocol):
    """The reads of the walk (a write transaction, or a read one with ``lock=False``)."""

    def expand(
        self, keys: Sequence[str], threshold: float, read_customers: Sequence[str] | None = None
    ) -> list[tuple[str, bool, str | None, float | None, list[tuple[str, float]] | None]]:
        """(key, shared, customer_id, membership confidence, [(neighbour, p)]); links
        None for an identifier whose customer is not in ``read_customers`` (when given)."""
        ...

    def expand_customers(
        self, ids: Sequence[str], threshold: float, lock: bool = True
    ) -> list[ExpandedCustomer]:
        """Customers with their members' joinable links (locked first unless ``lock`` is
        False)."""
        ...

    def lock_customers(self, ids: Sequence[str]) -> None: ...

    def any_overrides(self) -> bool: ...

    def overrides_of(self, keys: Sequence[str]) -> list[dict[str, Any]]: ...


class ScopeTooLarge(IdgraphError):
    """The walk met more identifiers than the caller allows."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the scope has more than {limit} identifiers ({size} met)")
        self.size = size
        self.limit = limit


def walk_scope(
    unit: ScopeUnit,
    seeds: set[str],
    threshold: float,
    attribute_policies: Sequence[AttributePolicy],
    *,
    orphan_customers: Mapping[str, tuple[datetime, set[str]]] | None = None,
    local: Mapping[str, list[tuple[str, float]]] | None = None,
    lock: bool = True,
    limit: int | None = None,
) -> Scope:
    """Collect the whole components around ``seeds``, their customers and overrides.

    Args:
        unit: the open transaction.
        seeds: identifiers whose components are wanted.
        threshold: links below it do not join (and are not followed).
        attribute_policies: which record attributes to read for the scope.
        orphan_customers: customers of identifiers deleted in this transaction (their
            remaining members are re-evaluated too).
        local: identifiers created in this transaction (not shared, no customer yet)
            with all their joinable links, so the walk need not read them back.
        lock: lock customers as they are read (the live engine); False in a read
            transaction (explanations).
        limit: raise :class:`ScopeTooLarge` once more identifiers than this are met.
    """
    orphans = orphan_customers or {}
    scope = Scope()
    scope.customers.update(orphans)
    if orphans:
        unit.lock_customers(sorted(orphans))
    seen_customers = set(orphans)
    found_locally: set[str] = set()
    for key, links in (local or {}).items():
        scope.visit(key, False, None, None, links, found_locally)
    frontier = (set(seeds) | found_locally) - set(scope.shared)
    with_overrides = unit.any_overrides()
    if with_overrides and local:
        frontier |= _override_partners(unit, scope, list(local))
    while frontier:
        visited_before = set(scope.shared)
        found: set[str] = set()
        new_customers: set[str] = set()
        # Members of customers not read yet come back without links: reading their
        # customer whole just below brings every member's links once.
        linkless: list[str] = []
        rows = unit.expand(sorted(frontier), threshold, sorted(seen_customers))
        for key, shared, customer_id, membership, own_links in rows:
            if own_links is None:
                linkless.append(key)
            scope.visit(key, shared, customer_id, membership, own_links or (), found)
            if customer_id is not None and customer_id not in seen_customers:
                new_customers.add(customer_id)
        read_members: set[str] = set()
        while new_customers:
            seen_customers |= new_customers
            expanded = unit.expand_customers(sorted(new_customers), threshold, lock)
            new_customers = set()
            for customer_id, created_at, members in expanded:
                scope.customers[customer_id] = (created_at, {m[0] for m in members})
                for key, shared, membership, links in members:
                    read_members.add(key)
                    scope.visit(key, shared, customer_id, membership, links, found)
        # An identifier that left its customer between the two reads (a read transaction
        # beside a writer) was in neither: read its links on their own.
        missed = [k for k in linkless if k not in read_members]
        for key, shared, customer_id, membership, own_links in (
            unit.expand(missed, threshold) if missed else []
        ):
            scope.visit(key, shared, customer_id, membership, own_links or (), found)
        if with_overrides:
            fresh = [k for k in scope.shared if k not in visited_before]
            found |= _override_partners(unit, scope, fresh)
        if limit is not None and len(scope.shared) > limit:
            raise ScopeTooLarge(len(scope.shared), limit)
        frontier = found - set(scope.shared)
    scope.read_attributes(unit, attribute_policies)
    return scope


def _override_partners(unit: ScopeUnit, scope: Scope, keys: list[str]) -> set[str]:
    """Record the overrides of ``keys``; return the identifiers they concern."""
    partners: set[str] = set()
    for override in unit.overrides_of(sorted(keys)):
        scope.overrides[override["override_id"]] = override
        partners |= {override["a"], override["b"]}
    return partners
