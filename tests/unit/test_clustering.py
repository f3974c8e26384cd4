"""Clustering: components over strong links, policy splits along minimum cuts, confidences.

networkx is the oracle: connected components for the partition without policies, the
maximum spanning tree for customer confidence.
"""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.clustering import (
    DEFAULT_POLICIES,
    Clustering,
    KindPolicy,
    Link,
    cluster,
    violation,
)

ACCOUNT_POLICY = DEFAULT_POLICIES[0].name
KINDS = ["account", "email", "phone", "device", "cookie"]


@st.composite
def graphs(draw: st.DrawFn, max_nodes: int = 14) -> tuple[list[str], list[Link]]:
    """Random identifier graphs: keys ``kind:n`` and links with random probabilities."""
    n = draw(st.integers(0, max_nodes))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=n, max_size=n))
    nodes = [f"{kind}:web/{i:02d}" for i, kind in enumerate(kinds)]
    pairs = list(itertools.combinations(sorted(nodes), 2))
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=25)) if pairs else []
    ps = draw(
        st.lists(
            st.floats(0.05, 0.999, allow_nan=False),
            min_size=len(chosen),
            max_size=len(chosen),
        )
    )
    return nodes, [Link(a, b, p) for (a, b), p in zip(chosen, ps, strict=True)]


def oracle_graph(nodes: list[str], links: list[Link], threshold: float) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_weighted_edges_from(
        ((lk.a, lk.b, lk.p) for lk in links if lk.p >= threshold), weight="p"
    )
    return graph


def assert_partition(result: Clustering, nodes: list[str]) -> None:
    members = [k for g in result.groups for k in g]
    assert sorted(members) == sorted(set(nodes))
    assert result.groups == sorted(result.groups, key=min)


# ---------------------------------------------------------------------- components


@settings(max_examples=100, deadline=None)
@given(graphs(), st.sampled_from([0.0, 0.5, 0.8]))
def test_without_policies_groups_are_connected_components(
    graph: tuple[list[str], list[Link]], threshold: float
) -> None:
    nodes, links = graph

    result = cluster(nodes, links, policies=(), threshold=threshold)

    oracle = oracle_graph(nodes, links, threshold)
    expected = {frozenset(c) for c in nx.connected_components(oracle)}
    assert set(result.groups) == expected
    assert len(result.groups) == len(expected)
    assert result.splits == []
    assert_partition(result, nodes)


def test_threshold_drops_weak_links() -> None:
    nodes = ["email:a", "phone:b", "cookie:c", "device:d"]
    links = [
        Link("email:a", "phone:b", 0.9),
        Link("cookie:c", "email:a", 0.49),
        Link("device:d", "phone:b", 0.5),
    ]

    result = cluster(nodes, links, policies=(), threshold=0.5)

    assert result.groups == [
        frozenset({"cookie:c"}),
        frozenset({"device:d", "email:a", "phone:b"}),
    ]


def test_links_to_unknown_nodes_are_ignored() -> None:
    result = cluster(["email:a", "phone:b"], [Link("email:a", "phone:shared", 0.99)], ())

    assert result.groups == [frozenset({"email:a"}), frozenset({"phone:b"})]
    assert result.membership == {"email:a": 1.0, "phone:b": 1.0}


def test_empty_graph() -> None:
    result = cluster([], [])

    assert result.groups == []
    assert result.splits == []


# ---------------------------------------------------------------------- policies


def test_weak_device_link_is_cut_between_two_web_accounts() -> None:
    u1, u2 = "account:web/u-1", "account:web/u-2"
    a, b, tablet = "email:a@x.com", "email:b@x.com", "device:tablet"
    links = [
        Link(u1, a, 0.99),
        Link(u2, b, 0.99),
        Link(u1, tablet, 0.9),
        Link(u2, tablet, 0.6),
    ]

    result = cluster([u1, u2, a, b, tablet], links)

    assert result.groups == [frozenset({u1, a, tablet}), frozenset({u2, b})]
    assert len(result.splits) == 1
    split = result.splits[0]
    assert split.policy == ACCOUNT_POLICY == "at most 1 account per source per customer"
    assert split.separated == (u1, u2)
    assert split.cut == ((u2, tablet),)
    assert set(split.parts) == {frozenset({u1, a, tablet}), frozenset({u2, b})}


def test_min_cut_takes_several_weak_links_over_one_strong_link() -> None:
    # u-1 reaches u-2 through one strong email link, then two weak ones (device, cookie).
    u1, u2, email = "account:web/u-1", "account:web/u-2", "email:a@x.com"
    links = [
        Link(u1, email, 0.99),
        Link("device:d", email, 0.6),
        Link("cookie:c", email, 0.6),
        Link("device:d", u2, 0.95),
        Link("cookie:c", u2, 0.95),
    ]

    result = cluster([u1, u2, email, "device:d", "cookie:c"], links)

    assert result.groups == [frozenset({u1, email}), frozenset({u2, "device:d", "cookie:c"})]
    (split,) = result.splits
    assert split.cut == (("cookie:c", email), ("device:d", email))
    assert split.policy == ACCOUNT_POLICY


def test_accounts_of_different_sources_do_not_violate() -> None:
    links = [Link("account:crm/A-1", "email:a@x.com", 0.95)]
    links.append(Link("account:web/u-1", "email:a@x.com", 0.95))

    result = cluster(["account:crm/A-1", "account:web/u-1", "email:a@x.com"], links)

    assert len(result.groups) == 1
    assert result.splits == []


def test_three_accounts_need_two_cuts() -> None:
    hub = "email:family@x.com"
    accounts = [f"account:web/u-{i}" for i in range(3)]
    links = [Link(acc, hub, p) for acc, p in zip(accounts, (0.99, 0.7, 0.6), strict=True)]

    result = cluster([hub, *accounts], links)

    assert result.groups == [
        frozenset({accounts[0], hub}),
        frozenset({accounts[1]}),
        frozenset({accounts[2]}),
    ]
    assert len(result.splits) == 2
    assert all(violation(g, DEFAULT_POLICIES) is None for g in result.groups)


def test_global_policy_without_scope() -> None:
    policy = KindPolicy("email", 1)
    links = [Link("email:a@x.com", "phone:+1", 0.95), Link("email:b@x.com", "phone:+1", 0.7)]

    result = cluster(["email:a@x.com", "email:b@x.com", "phone:+1"], links, (policy,))

    assert result.groups == [frozenset({"email:a@x.com", "phone:+1"}), frozenset({"email:b@x.com"})]
    assert result.splits[0].policy == "at most 1 email per customer"


@settings(max_examples=100, deadline=None)
@given(graphs(max_nodes=12))
def test_every_group_honours_the_policy_and_is_connected(
    graph: tuple[list[str], list[Link]],
) -> None:
    nodes, links = graph

    result = cluster(nodes, links)

    assert_partition(result, nodes)
    kept = oracle_graph(nodes, links, 0.5)
    for group in result.groups:
        assert violation(group, DEFAULT_POLICIES) is None
        assert nx.is_connected(kept.subgraph(group))
    # Policies only ever split components further.
    components = [set(c) for c in nx.connected_components(kept)]
    for group in result.groups:
        assert any(group <= c for c in components)


# ---------------------------------------------------------------------- order independence


@settings(max_examples=100, deadline=None)
@given(graphs(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(
    graph: tuple[list[str], list[Link]], rng: random.Random
) -> None:
    nodes, links = graph
    shuffled_nodes, shuffled_links = list(nodes), list(links)
    rng.shuffle(shuffled_nodes)
    rng.shuffle(shuffled_links)

    first = cluster(nodes, links)
    second = cluster(iter(shuffled_nodes), iter(shuffled_links))

    assert first.groups == second.groups
    assert first.splits == second.splits
    assert first.membership == second.membership
    assert first.confidence == second.confidence
    assert first.weakest == second.weakest


# ---------------------------------------------------------------------- confidences


@settings(max_examples=100, deadline=None)
@given(graphs())
def test_confidence_is_the_weakest_link_of_the_maximum_spanning_tree(
    graph: tuple[list[str], list[Link]],
) -> None:
    nodes, links = graph

    result = cluster(nodes, links)

    kept = oracle_graph(nodes, links, 0.5)
    for group in result.groups:
        if len(group) == 1:
            assert result.confidence[group] == 1.0
            assert result.weakest[group] is None
            continue
        tree = nx.maximum_spanning_tree(kept.subgraph(group), weight="p")
        expected = min(p for _, _, p in tree.edges(data="p"))
        assert result.confidence[group] == expected
        weakest = result.weakest[group]
        assert weakest is not None
        assert weakest.p == expected
        assert weakest.a < weakest.b
        assert kept.has_edge(weakest.a, weakest.b)
        assert {weakest.a, weakest.b} <= group


@settings(max_examples=100, deadline=None)
@given(graphs())
def test_membership_is_the_strongest_link_inside_the_customer(
    graph: tuple[list[str], list[Link]],
) -> None:
    nodes, links = graph

    result = cluster(nodes, links)

    kept = oracle_graph(nodes, links, 0.5)
    assert set(result.membership) == set(nodes)
    for group in result.groups:
        for node in group:
            inside = [d["p"] for other, d in kept.adj[node].items() if other in group]
            expected = max(inside) if inside else 1.0
            assert result.membership[node] == expected


def test_confidences_by_hand() -> None:
    links = [
        Link("email:a", "phone:b", 0.9),
        Link("email:a", "cookie:c", 0.6),
        Link("cookie:c", "phone:b", 0.7),
    ]

    result = cluster(["email:a", "phone:b", "cookie:c", "device:lonely"], links, ())

    group = frozenset({"email:a", "phone:b", "cookie:c"})
    assert result.confidence[group] == pytest.approx(0.7)
    assert result.weakest[group] == Link("cookie:c", "phone:b", 0.7)
    assert result.membership == {
        "email:a": 0.9,
        "phone:b": 0.9,
        "cookie:c": 0.7,
        "device:lonely": 1.0,
    }
    assert result.confidence[frozenset({"device:lonely"})] == 1.0


def test_cut_links_do_not_count_for_membership() -> None:
    u1, u2, tablet = "account:web/u-1", "account:web/u-2", "device:tablet"

    result = cluster([u1, u2, tablet], [Link(u1, tablet, 0.9), Link(u2, tablet, 0.6)])

    assert result.groups == [frozenset({u1, tablet}), frozenset({u2})]
    assert result.membership == {u1: 0.9, tablet: 0.9, u2: 1.0}
    assert result.confidence[frozenset({u2})] == 1.0
