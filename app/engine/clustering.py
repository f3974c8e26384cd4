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
from collections.abc import Iterable
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


def violation(
    members: Iterable[str], policies: Iterable[KindPolicy]
) -> tuple[KindPolicy, str, str] | None:
    """The first policy a group breaks and the two identifiers to separate, or None."""
    ordered = sorted(members)
    for policy in policies:
        buckets: dict[str, list[str]] = defaultdict(list)
        for key in ordered:
            if _kind(key) == policy.kind:
                buckets[_scope(key, policy)].append(key)
        for scope in sorted(buckets):
            keys = buckets[scope]
            if len(keys) > policy.max_per_customer:
                return policy, keys[0], keys[1]
    return None


def _graph(nodes: Iterable[str], links: Iterable[Link]) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(sorted(nodes))
    for link in sorted(links, key=lambda link: (link.a, link.b)):
        graph.add_edge(link.a, link.b, p=link.p, capacity=_capacity(link.p))
    return graph


def cluster(
    nodes: Iterable[str],
    links: Iterable[Link],
    policies: Iterable[KindPolicy] = DEFAULT_POLICIES,
    threshold: float = 0.5,
) -> Clustering:
    """Partition ``nodes`` into customers.

    Args:
        nodes: joinable identifier keys (shared identifiers excluded by the caller).
        links: links among them; those below ``threshold`` do not join.
        policies: per-kind limits enforced by minimum cuts.
        threshold: the join threshold on match probability.
    """
    node_set = set(nodes)
    kept = [lk for lk in links if lk.p >= threshold and lk.a in node_set and lk.b in node_set]
    graph = _graph(node_set, kept)
    policies = tuple(policies)
    result = Clustering(groups=[])
    pending = [frozenset(c) for c in nx.connected_components(graph)]
    while pending:
        group = pending.pop()
        broken = violation(group, policies)
        if broken is None:
            result.groups.append(group)
            continue
        policy, s, t = broken
        sub = _graph(
            group, (Link(a, b, d["p"]) for a, b, d in graph.subgraph(group).edges(data=True))
        )
        _, (side_s, side_t) = nx.minimum_cut(sub, s, t, capacity="capacity")
        side_s, side_t = frozenset(side_s), frozenset(side_t)
        cut = tuple(
            sorted(tuple(sorted((a, b))) for a, b in sub.edges() if (a in side_s) != (b in side_s))
        )
        result.splits.append(PolicySplit(policy.name, (s, t), cut, (side_s, side_t)))
        for side in (side_s, side_t):
            pending.extend(frozenset(c) for c in nx.connected_components(sub.subgraph(side)))
    result.groups.sort(key=lambda g: min(g))
    _confidences(graph, result)
    return result


def _confidences(graph: nx.Graph, result: Clustering) -> None:
    """Membership: an identifier's strongest link inside its customer (1.0 alone).

    Customer confidence: the weakest link of the maximum spanning tree, i.e. the link
    the customer could least afford to lose; 1.0 for a single identifier.
    """
    adjacency = graph.adj
    for group in result.groups:
        edges = []
        for node in group:
            best = 0.0
            for other, data in adjacency[node].items():
                if other in group:
                    best = max(best, data["p"])
                    if node < other:
                        edges.append((data["p"], node, other))
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
