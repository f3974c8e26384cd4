"""The read-only scope walk of a what-if, with the proposed change laid over the graph."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.engine.clustering import AttributePolicy, Clustering, Link, cluster, node_attributes
from app.engine.resolution import ResolutionConfig, Scope

Pair = tuple[str, str]


class ScopeReads(Protocol):
    """What the walk reads (:class:`app.store.whatif.WhatIfReads`)."""

    def expand_typed(
        self, keys: Sequence[str], threshold: float, open_keys: Sequence[str] = ()
    ) -> list[tuple[str, bool, str | None, float | None, list[tuple[str, float, str, bool]]]]: ...

    def customers_read(self, ids: Sequence[str]) -> list[tuple[str, datetime, list[str]]]: ...

    def any_overrides(self) -> bool: ...

    def overrides_of(self, keys: Sequence[str]) -> list[dict[str, Any]]: ...

    def policy_attributes(
        self, keys: Sequence[str], fields: Sequence[str]
    ) -> list[tuple[str, str, str, str]]: ...


def pair_of(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


@dataclass
class Overlay:
    """A proposed change, as differences from the stored graph.

    Attributes:
        links: ``(pair, "LINKED" | "SIMILAR")`` -> the link's new match probability, or
            None when the link would be gone.
        shared: identifiers whose shared (quarantined) flag would change -> the new flag.
        new_nodes: identifiers that would be created.
        removed_nodes: identifiers that would be deleted.
        overrides: overrides that would be added (as stored: override_id, a, b, decision,
            reason, actor).
        removed_overrides: ids of overrides that would be deleted.
        attributes: ``(identifier, record, field, value)`` the policies would see in addition.
        scrubbed_records: records whose attributes would be gone.
    """

    links: dict[tuple[Pair, str], float | None] = field(default_factory=dict)
    shared: dict[str, bool] = field(default_factory=dict)
    new_nodes: set[str] = field(default_factory=set)
    removed_nodes: set[str] = field(default_factory=set)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    removed_overrides: set[str] = field(default_factory=set)
    attributes: list[tuple[str, str, str, str]] = field(default_factory=list)
    scrubbed_records: set[str] = field(default_factory=set)

    def link_changes_of(self, key: str) -> Iterable[tuple[str, str, float | None]]:
        """``(neighbour, type, new p or None)`` of the overlay's links at ``key``."""
        for ((a, b), kind), p in self.links.items():
            if key == a:
                yield b, kind, p
            elif key == b:
                yield a, kind, p


def read_scope(
    reads: ScopeReads,
    seeds: Iterable[str],
    overlay: Overlay,
    threshold: float,
    policies: Sequence[AttributePolicy],
    customers: Iterable[str] = (),
) -> Scope:
    """The identifiers, joinable links, customers, overrides and attributes the engine would
    re-evaluate after the change: the closure of ``seeds`` under joinable links (as they
    would be), membership of a customer, and overrides, as the resolver walks it.
    ``customers`` are read whole first (those of identifiers the change would delete)."""
    scope = Scope()
    removed = overlay.removed_nodes
    open_keys = sorted(k for k, flag in overlay.shared.items() if not flag)
    db_shared: dict[str, bool] = {}
    with_overrides = reads.any_overrides() or bool(overlay.overrides)
    seen_customers: set[str] = set()

    def shared_after(key: str) -> bool:
        return overlay.shared.get(key, db_shared.get(key, False))

    frontier = set(seeds) - removed
    for read_id, created_at, members in (
        reads.customers_read(sorted(customers)) if customers else []
    ):
        seen_customers.add(read_id)
        scope.customers[read_id] = (created_at, set(members))
        frontier |= set(members) - removed
    # Endpoints of changed links must have known shared flags before links are filtered.
    frontier |= {k for (pair, _) in overlay.links for k in pair} - removed
    pending_rows: dict[str, tuple[bool, str | None, float | None, list[Any]]] = {}
    while frontier:
        batch = sorted(frontier - set(scope.shared))
        db_keys = [k for k in batch if k not in overlay.new_nodes]
        for key, shared, cid, membership, links in (
            reads.expand_typed(db_keys, threshold, open_keys) if db_keys else []
        ):
            db_shared[key] = shared
            for other, _, _, other_shared in links:
                db_shared.setdefault(other, other_shared)
            pending_rows[key] = (shared, cid, membership, links)
        for key in batch:
            if key in overlay.new_nodes:
                pending_rows[key] = (False, None, None, [])
        found: set[str] = set()
        new_customers: set[str] = set()
        fresh = [k for k in batch if k in pending_rows]
        for key in fresh:
            _, cid, membership, links = pending_rows.pop(key)
            _visit(scope, overlay, key, shared_after, cid, membership, links, threshold, found)
            if cid is not None and cid not in seen_customers:
                new_customers.add(cid)
        if new_customers:
            seen_customers |= new_customers
            for cid, created_at, members in reads.customers_read(sorted(new_customers)):
                scope.customers[cid] = (created_at, set(members))
                found |= set(members)
        if with_overrides and fresh:
            for override in [*reads.overrides_of(fresh), *overlay.overrides]:
                if override["override_id"] in overlay.removed_overrides:
                    continue
                if override["a"] in fresh or override["b"] in fresh:
                    scope.overrides[override["override_id"]] = override
                    found |= {override["a"], override["b"]}
        frontier = found - set(scope.shared) - removed
    _read_attributes(reads, scope, overlay, policies)
    return scope


def _visit(
    scope: Scope,
    overlay: Overlay,
    key: str,
    shared_after: Any,
    customer_id: str | None,
    membership: float | None,
    links: list[tuple[str, float, str, bool]],
    threshold: float,
    found: set[str],
) -> None:
    shared = bool(shared_after(key))
    scope.shared[key] = shared
    scope.old_customer[key] = customer_id
    scope.old_membership[key] = membership
    if shared:
        return
    strongest: dict[str, float] = {}
    for other, p, kind, _ in links:
        if (pair_of(key, other), kind) in overlay.links or other in overlay.removed_nodes:
            continue
        strongest[other] = max(p, strongest.get(other, 0.0))
    for other, _kind, new_p in overlay.link_changes_of(key):
        if new_p is not None and other not in overlay.removed_nodes:
            strongest[other] = max(new_p, strongest.get(other, 0.0))
    for other, p in strongest.items():
        if p >= threshold and not shared_after(other):
            pair = pair_of(key, other)
            # a pair both LINKED and SIMILAR counts with the stronger evidence
            scope.links[pair] = max(p, scope.links.get(pair, 0.0))
            found.add(other)


def _read_attributes(
    reads: ScopeReads, scope: Scope, overlay: Overlay, policies: Sequence[AttributePolicy]
) -> None:
    nodes = scope.nodes()
    fields = sorted({f for p in policies for f in p.fields})
    if not policies or not nodes:
        return
    inside = set(nodes)
    stored = [k for k in nodes if k not in overlay.new_nodes]
    rows = [
        row
        for row in (reads.policy_attributes(stored, fields) if stored else [])
        if row[1] not in overlay.scrubbed_records
    ]
    rows += [row for row in overlay.attributes if row[0] in inside and row[2] in fields]
    scope.attributes = node_attributes(rows, policies)


def cluster_scope(scope: Scope, config: ResolutionConfig) -> Clustering:
    """The engine's clustering of a scope, with its overrides and attributes."""
    return cluster(
        scope.nodes(),
        [Link(a, b, p) for (a, b), p in scope.links.items()] + scope.must_links(),
        config.policies,
        config.threshold,
        scope.cannot_links(),
        config.attribute_policies,
        scope.attributes,
    )
