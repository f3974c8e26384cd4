"""Clustering of identifiers into customers: a pure function of the evidence graph.

Given the joinable identifiers of some connected components and their links, the
partition is: connected components over links at or above the join threshold, each then
split along its weakest evidence (a minimum weighted s-t cut) for as long as it breaks a
per-kind policy. Everything is built in sorted order, so the result depends only on the
graph, never on the order in which records arrived: the incremental path and a
from-scratch re-cluster call the same function and agree.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx


@dataclass(frozen=True)
class Link:
    """An undirected link (``a < b``) with its match probability."""

    a: str
    b: str
    p: float


@dataclass(frozen=True)
class KindPolicy:
    """At most ``max_per_customer`` identifiers of ``kind`` in one customer.

    With ``per_source`` the limit applies per source scope: ``account:web/u-1`` and
    ``account:web/u-2`` share the scope ``web``.
    """

    kind: str
    max_per_customer: int
    per_source: bool = False

    @property
    def name(self) -> str:
        scope = " per source" if self.per_source else ""
        return f"at most {self.max_per_customer} {self.kind}{scope} per customer"


DEFAULT_POLICIES: tuple[KindPolicy, ...] = (KindPolicy("account", 1, per_source=True),)


@dataclass(frozen=True)
class PolicySplit:
    """One minimum cut made to honour a policy."""

    policy: str
    separated: tuple[str, str]
    cut: tuple[tuple[str, str], ...]
    parts: tuple[frozenset[str], frozenset[str]]


@dataclass
class Clustering:
    """The partition, the policy splits that shaped it, and confidences."""

    groups: list[frozenset[str]]
    splits: list[PolicySplit] = field(default_factory=list)
    membership: dict[str, float] = field(default_factory=dict)
    confidence: dict[frozenset[str], float] = field(default_factory=dict)
    weakest: dict[frozenset[str], Link | None] = field(default_factory=dict)


def _kind(key: str) -> str:
    return key.split(":", 1)[0]


def _scope(key: str, policy: KindPolicy) -> str:
    if not policy.per_source:
        return ""
    value = key.split(":", 1)[1]
    return value.split("/", 1)[0] if "/" in value else ""


def _capacity(p: float) -> float:
    # Evidence strength: -ln(1 - p); cutting a 0.99 link costs twice a 0.9 link.
    return -math.log(max(1.0 - p, 1e-9))


@dataclass(frozen=True)
class CannotLink:
    """An analyst's decision that two identifiers are different customers."""

    a: str
    b: str
    name: str


def violation(
    members: Iterable[str],
    policies: Iterable[KindPolicy],
    cannot_link: Iterable[CannotLink] = (),
) -> tuple[str, str, str] | None:
    """The first rule a group breaks (cannot-link overrides first, then policies) and the
    two identifiers to separate, or None."""
    group = set(members)
    for rule in sorted(cannot_link, key=lambda c: (c.a, c.b, c.name)):
        if rule.a in group and rule.b in group:
            return rule.name, rule.a, rule.b
    ordered = sorted(group)
    for policy in policies:
        buckets: dict[str, list[str]] = defaultdict(list)
        for key in ordered:
            if _kind(key) == policy.kind:
                buckets[_scope(key, policy)].append(key)
        for scope in sorted(buckets):
            keys = buckets[scope]
            if len(keys) > policy.max_per_customer:
                return policy.name, keys[0], keys[1]
    return None


def _graph(nodes: Iterable[str], adjacency: Mapping[str, Mapping[str, float]]) -> nx.Graph:
    """A networkx graph of ``nodes`` built in sorted order (so min cuts are reproducible)."""
    members = sorted(nodes)
    inside = set(members)
    graph = nx.Graph()
    graph.add_nodes_from(members)
    for a in members:
        for b in sorted(adjacency[a]):
            if a < b and b in inside:
                p = adjacency[a][b]
                graph.add_edge(a, b, p=p, capacity=_capacity(p))
    return graph


def _components(
    nodes: Iterable[str], adjacency: Mapping[str, Mapping[str, float]]
) -> list[frozenset[str]]:
    """Connected components of ``nodes`` (restricted to them) by breadth-first search."""
    inside = set(nodes)
    seen: set[str] = set()
    components = []
    for start in sorted(inside):
        if start in seen:
            continue
        seen.add(start)
        component = [start]
        queue = [start]
        while queue:
            node = queue.pop()
            for other in adjacency[node]:
                if other in inside and other not in seen:
                    seen.add(other)
                    component.append(other)
                    queue.append(other)
        components.append(frozenset(component))
    return components


def cluster(
    nodes: Iterable[str],
    links: Iterable[Link],
    policies: Iterable[KindPolicy] = DEFAULT_POLICIES,
    threshold: float = 0.5,
    cannot_link: Iterable[CannotLink] = (),
) -> Clustering:
    """Partition ``nodes`` into customers.

    Args:
        nodes: joinable identifier keys (shared identifiers excluded by the caller).
        links: links among them; those below ``threshold`` do not join. Must-link
            overrides come in as links with ``p = 1.0``.
        policies: per-kind limits enforced by minimum cuts.
        threshold: the join threshold on match probability.
        cannot_link: pairs that must end in different customers (cut like a policy).
    """
    cannot_link = tuple(cannot_link)
    node_set = set(nodes)
    adjacency: dict[str, dict[str, float]] = {n: {} for n in node_set}
    for link in links:
        if link.p >= threshold and link.a in node_set and link.b in node_set:
            adjacency[link.a][link.b] = link.p
            adjacency[link.b][link.a] = link.p
    policies = tuple(policies)
    result = Clustering(groups=[])
    pending = _components(node_set, adjacency)
    while pending:
        group = pending.pop()
        broken = violation(group, policies, cannot_link)
        if broken is None:
            result.groups.append(group)
            continue
        rule, s, t = broken
        sub = _graph(group, adjacency)
        _, (side_s, side_t) = nx.minimum_cut(sub, s, t, capacity="capacity")
        side_s, side_t = frozenset(side_s), frozenset(side_t)
        cut = tuple(
            sorted(tuple(sorted((a, b))) for a, b in sub.edges() if (a in side_s) != (b in side_s))
        )
        result.splits.append(PolicySplit(rule, (s, t), cut, (side_s, side_t)))
        for side in (side_s, side_t):
            pending.extend(_components(side, adjacency))
    result.groups.sort(key=lambda g: min(g))
    _confidences(adjacency, result)
    return result


def _confidences(adjacency: Mapping[str, Mapping[str, float]], result: Clustering) -> None:
    """Membership: an identifier's strongest link inside its customer (1.0 alone).

    Customer confidence: the weakest link of the maximum spanning tree, i.e. the link
    the customer could least afford to lose; 1.0 for a single identifier.
    """
    for group in result.groups:
        edges = []
        for node in group:
            best = 0.0
            for other, p in adjacency[node].items():
                if other in group:
                    best = max(best, p)
                    if node < other:
                        edges.append((p, node, other))
            result.membership[node] = best if best else 1.0
        if len(group) == 1:
            result.confidence[group] = 1.0
            result.weakest[group] = None
            continue
        # Kruskal on descending probability: the last edge taken is the weakest needed.
        edges.sort(key=lambda e: (-e[0], e[1], e[2]))
        parent = {n: n for n in group}

        def find(x: str, parent: dict[str, str] = parent) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        weakest: tuple[float, str, str] | None = None
        joined = 1
        for p, a, b in edges:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
                weakest = (p, a, b)
                joined += 1
                if joined == len(group):
                    break
        assert weakest is not None
        result.confidence[group] = weakest[0]
        result.weakest[group] = Link(weakest[1], weakest[2], weakest[0])
