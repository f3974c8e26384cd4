"""Clustering: components over strong links, policy splits along minimum cuts, confidences.

Policies: per-kind limits and attribute consistency (a household's birth dates), both cut
along the weakest evidence.

networkx is the oracle: connected components for the partition without policies, the
maximum spanning tree for customer confidence.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import networkx as nx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.engine.clustering import (
    DEFAULT_ATTRIBUTE_POLICIES,
    DEFAULT_POLICIES,
    RECORD_FIELD,
    AttributePolicy,
    CannotLink,
    Clustering,
    KindPolicy,
    Link,
    cluster,
    node_attributes,
    violation,
)
from app.engine.recluster import record_attributes
from graph_models.identifiers import Identifier
from graph_models.records import NormalisedRecord

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


# ---------------------------------------------------------------------- attribute policies

BIRTH_DATE = AttributePolicy("birth_date", "date")
NATIONAL_ID = AttributePolicy("national_id", "code")
BIRTH_DATE_POLICY = "at most one birth_date per customer (up to a typo)"


def held(*rows: tuple[str, str, str, str]) -> dict[str, dict[str, set[tuple[str, str]]]]:
    """``(identifier, record, field, raw value)`` rows as :func:`cluster` takes them."""
    return node_attributes(rows, DEFAULT_ATTRIBUTE_POLICIES)


def test_household_chained_by_strong_links_splits_at_the_weakest() -> None:
    # Mum's CRM record observed her email and the home phone; dad's his email and his
    # mobile. Look-alike and co-observation links chain all four.
    mum, home, mobile, dad = "email:mum@x.com", "phone:+1100", "phone:+1200", "email:dad@x.com"
    links = [Link(home, mum, 0.99), Link(home, mobile, 0.8), Link(dad, mobile, 0.99)]
    attributes = held(
        (mum, "crm|1", "birth_date", "1961-04-12"),
        (home, "crm|1", "birth_date", "1961-04-12"),
        (mobile, "crm|2", "birth_date", "1958-10-30"),
        (dad, "crm|2", "birth_date", "1958-10-30"),
    )

    result = cluster([mum, home, mobile, dad], links, attributes=attributes)

    assert result.groups == [frozenset({dad, mobile}), frozenset({mum, home})]
    (split,) = result.splits
    assert split.policy == BIRTH_DATE_POLICY
    assert split.field == "birth_date"
    # the link that crosses the clash without weighing it: a co-observation
    assert split.separated == (home, mobile)
    assert split.records == ("crm|1", "crm|2")
    assert split.cut == ((home, mobile),)
    assert all(
        violation(g, (), (), DEFAULT_ATTRIBUTE_POLICIES, attributes) is None for g in result.groups
    )


def test_a_care_home_landline_ends_alone() -> None:
    # Three residents gave the home's landline next to their own phones: the landline
    # holds three birth dates, each resident's phone one.
    landline = "phone:+1000"
    residents = [f"phone:+1{n}" for n in range(1, 4)]
    dates = ["1931-01-05", "1940-07-21", "1928-12-02"]
    links = [Link(landline, r, 0.9) for r in residents]
    rows = []
    for n, (resident, date) in enumerate(zip(residents, dates, strict=True)):
        rows += [(resident, f"care|{n}", "birth_date", date)]
        rows += [(landline, f"care|{n}", "birth_date", date)]

    result = cluster([landline, *residents], links, attributes=held(*rows))

    assert result.groups == [frozenset({k}) for k in sorted([landline, *residents])]
    assert {s.field for s in result.splits} == {"birth_date"}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("1990-02-01", "19900201"),  # the same date written two ways
        ("1990-02-01", "1990-02-07"),  # one wrong digit
        ("1990-02-01", "1990-01-02"),  # day and month swapped
        ("1990-02-01", "1990-2-1"),
    ],
)
def test_birth_dates_equal_up_to_a_typo_stay_together(first: str, second: str) -> None:
    a, b = "email:a@x.com", "email:b@x.com"
    attributes = held((a, "crm|1", "birth_date", first), (b, "web|1", "birth_date", second))

    result = cluster([a, b], [Link(a, b, 0.9)], attributes=attributes)

    assert result.groups == [frozenset({a, b})]
    assert result.splits == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("1990-02-01", "1990-02-10"),  # two adjacent digits swapped is two edits for a date
        ("1990-02-01", "1991-03-01"),
        ("1990-02-01", "1985-07-12"),
    ],
)
def test_birth_dates_beyond_a_typo_are_split(first: str, second: str) -> None:
    # a and b are held together only through m (which has no birth date): a chain.
    a, b, m = "email:a@x.com", "email:b@x.com", "phone:+1"
    attributes = held((a, "crm|1", "birth_date", first), (b, "web|1", "birth_date", second))

    result = cluster([a, b, m], [Link(a, m, 0.9), Link(b, m, 0.8)], attributes=attributes)

    assert result.groups == [frozenset({a, m}), frozenset({b})]


def test_a_clash_crossed_by_record_comparisons_is_weighed_by_them() -> None:
    # Two records matched directly despite different birth dates (the link's evidence
    # already counted the disagreement): kept, and so is a third record whose own
    # comparison with one of them crossed yet another date. A record joined through an
    # identifier (a co-observation, which never compared birth dates) is cut off.
    a, b, c = "record:crm|1", "record:web|1", "record:web|2"
    email, d = "email:d@x.com", "record:web|3"
    attributes = held(
        (a, "crm|1", "birth_date", "1990-02-01"),
        (b, "web|1", "birth_date", "1985-07-12"),
        (c, "web|2", "birth_date", "1970-01-01"),
        (email, "web|4", "birth_date", "1955-03-03"),
        (d, "web|3", "birth_date", "1990-02-01"),
    )
    assert cluster([a, b], [Link(a, b, 0.99)], attributes=attributes).groups == [frozenset({a, b})]
    chained = cluster([a, b, c], [Link(a, b, 0.99), Link(b, c, 0.7)], attributes=attributes)
    assert chained.groups == [frozenset({a, b, c})] and chained.splits == []

    result = cluster([a, b, email], [Link(a, b, 0.99), Link(b, email, 0.7)], attributes=attributes)
    assert result.groups == [frozenset({email}), frozenset({a, b})]
    assert result.splits[0].separated == (email, b)


def test_a_household_joined_through_a_record_without_the_field_is_cut() -> None:
    # Dad and his son never compared to each other; each matched a census line with no
    # birth date (same surname, same address). The blank line weighed nothing: cut.
    dad, son, blank = "record:census|1", "record:ssa|2", "record:w2|3"
    attributes = held(
        (dad, "census|1", "birth_date", "1961-04-12"),
        (son, "ssa|2", "birth_date", "1993-10-30"),
    )
    links = [Link(blank, dad, 0.9), Link(blank, son, 0.6)]

    result = cluster([dad, son, blank], links, attributes=attributes)

    assert result.groups == [frozenset({dad, blank}), frozenset({son})]
    (split,) = result.splits
    assert split.separated == (dad, son) and split.records == ("census|1", "ssa|2")
    assert split.cut == ((son, blank),)


def test_at_most_one_record_of_a_source_that_lists_each_person_once() -> None:
    # Two census lines of one household matched each other (same surname, address, a
    # birth date one digit apart): a census lists a person once, so no comparison
    # excuses them; the Social Security record goes with the stronger side.
    once = (AttributePolicy.once("census"),)
    annie, carmen, ssa = "record:census|1", "record:census|2", "record:ssa|9"
    rows = [(k, k.split(":", 1)[1], RECORD_FIELD, k.split(":", 1)[1]) for k in (annie, carmen, ssa)]
    attributes = node_attributes(rows, once)
    assert set(attributes) == {annie, carmen}  # the ssa record is not a census one
    links = [Link(annie, carmen, 0.75), Link(carmen, ssa, 0.99), Link(annie, ssa, 0.55)]

    result = cluster([annie, carmen, ssa], links, attribute_policies=once, attributes=attributes)

    assert result.groups == [frozenset({annie}), frozenset({carmen, ssa})]
    (split,) = result.splits
    assert split.policy == "at most one census record per customer"
    assert split.conflict() == " (records census|1 and census|2 both come from census)"
    with pytest.raises(ValueError, match="once"):
        AttributePolicy("birth_date", "once")


def test_a_conflict_inside_one_node_is_ignored() -> None:
    # Two records with different birth dates observed the same email: no cut can part
    # them, so the email and the cookie linked to it stay one customer.
    email, cookie = "email:a@x.com", "cookie:ck1"
    attributes = held(
        (email, "crm|1", "birth_date", "1990-02-01"),
        (email, "crm|2", "birth_date", "1975-06-30"),
    )

    result = cluster([email, cookie], [Link(cookie, email, 0.85)], attributes=attributes)

    assert result.groups == [frozenset({cookie, email})]
    assert result.splits == []
    alone = cluster([email], [], attributes=attributes)
    assert alone.groups == [frozenset({email})] and alone.splits == []


def test_national_id_with_adjacent_digits_swapped_stays_together() -> None:
    a, b, c = "email:a@x.com", "email:b@x.com", "email:c@x.com"
    attributes = held(
        (a, "crm|1", "national_id", "123-45-6789"),
        (b, "web|1", "national_id", "123-54-6789"),  # adjacent transposition: OSA 1
        (c, "web|2", "national_id", "987-65-4321"),  # another id; linked to a only
    )
    links = [Link(a, b, 0.95), Link(a, c, 0.6)]

    together = cluster([a, b], links, attributes=attributes)
    assert together.groups == [frozenset({a, b})]

    result = cluster([a, b, c], links, attributes=attributes)
    assert result.groups == [frozenset({a, b}), frozenset({c})]
    (split,) = result.splits
    assert split.field == "national_id"
    assert split.separated == (a, c) and split.records == ("crm|1", "web|2")
    assert split.policy == "at most one national_id per customer (up to a typo)"


def test_overrides_then_kind_policies_then_attribute_policies() -> None:
    u1, u2 = "account:web/u-1", "account:web/u-2"
    a, b = "email:a@x.com", "email:b@x.com"
    links = [Link(u1, a, 0.99), Link(a, b, 0.6), Link(b, u2, 0.99)]
    attributes = held(
        (u1, "web|1", "birth_date", "1990-02-01"), (u2, "web|2", "birth_date", "1970-01-01")
    )

    result = cluster([u1, u2, a, b], links, attributes=attributes)

    assert [s.policy for s in result.splits] == [ACCOUNT_POLICY]
    assert result.splits[0].field is None and result.splits[0].records is None
    override = CannotLink(a, u1, "override 1 (different) by ops: test")
    first = cluster([u1, u2, a, b], links, cannot_link=[override], attributes=attributes)
    assert first.splits[0].policy == override.name


def test_node_attributes_clean_values_and_skip_what_no_policy_checks() -> None:
    rows = [
        ("email:a", "crm|1", "birth_date", " 1990-02-01 "),
        ("email:a", "crm|1", "first_name", "Ann"),
        ("email:a", "crm|2", "national_id", "--"),  # nothing left once cleaned
        ("phone:+1", "crm|1", "national_id", "AB 12-34"),
    ]

    assert node_attributes(rows, DEFAULT_ATTRIBUTE_POLICIES) == {
        "email:a": {
            "birth_date": {("crm|1", "19900201")},
            "first_name+birth_date": {("crm|1", "ann\x1f19900201")},
        },
        "phone:+1": {"national_id": {("crm|1", "ab1234")}},
    }


def test_attribute_policy_needs_a_known_comparison() -> None:
    with pytest.raises(ValueError, match="compare must be one of"):
        AttributePolicy("birth_date", "fuzzy")
    assert AttributePolicy("tax_id").name == "at most one tax_id per customer"


DATES = ["1990-02-01", "1990-02-07", "1990-01-02", "1985-07-12", "1985-07-21", "2001-03-09"]


@st.composite
def graphs_with_attributes(
    draw: st.DrawFn,
) -> tuple[list[str], list[Link], list[tuple[str, str, str, str]]]:
    """Random graphs whose nodes hold the birth dates of random records (a record's date
    belongs to every node it observed)."""
    nodes, links = draw(graphs(max_nodes=12))
    rows: list[tuple[str, str, str, str]] = []
    if nodes:
        records = draw(st.lists(st.sampled_from(DATES), max_size=8))
        for n, date in enumerate(records):
            observed = draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=3, unique=True))
            rows += [(node, f"src|{n}", "birth_date", date) for node in observed]
    return nodes, links, rows


@settings(max_examples=150, deadline=None)
@given(graphs_with_attributes(), st.randoms(use_true_random=False))
def test_attribute_policies_are_honoured_and_order_independent(
    graph: tuple[list[str], list[Link], list[tuple[str, str, str, str]]], rng: random.Random
) -> None:
    nodes, links, rows = graph
    shuffled_nodes, shuffled_links, shuffled_rows = list(nodes), list(links), list(rows)
    rng.shuffle(shuffled_nodes)
    rng.shuffle(shuffled_links)
    rng.shuffle(shuffled_rows)

    first = cluster(nodes, links, attributes=held(*rows))
    second = cluster(shuffled_nodes, shuffled_links, attributes=held(*shuffled_rows))

    assert first.groups == second.groups
    assert first.splits == second.splits
    assert first.confidence == second.confidence
    assert_partition(first, nodes)
    attributes = held(*rows)
    kept = oracle_graph(nodes, links, 0.5)
    components = [set(c) for c in nx.connected_components(kept)]
    direct: dict[str, dict[str, float]] = {n: {} for n in nodes}
    for link in links:
        if link.p >= 0.5:
            direct[link.a][link.b] = direct[link.b][link.a] = link.p
    for group in first.groups:
        assert (
            violation(group, DEFAULT_POLICIES, (), DEFAULT_ATTRIBUTE_POLICIES, attributes, direct)
            is None
        )
        assert nx.is_connected(kept.subgraph(group))
        assert any(group <= c for c in components)
    for split in first.splits:
        if split.field is not None:
            assert split.records is not None
            a, b = split.separated
            assert split.records[0] != split.records[1]
            assert split.records[0] in {r for r, _ in attributes[a][split.field]}
            assert split.records[1] in {r for r, _ in attributes[b][split.field]}


def test_unlike_first_names_with_differing_birth_dates_are_two_people() -> None:
    # Spouses born the same year: dates one digit apart (one person's typo, as far as the
    # date policy can tell), first names nothing alike. Chained through the household's
    # shared address record m, they are two people; Jon and John with the same dates are one.
    a, b, m = "record:census|1", "record:census|2", "record:tax|9"
    household = held(
        (a, "census|1", "first_name", "Annie"),
        (a, "census|1", "birth_date", "1969-02-04"),
        (b, "census|2", "first_name", "Carmen"),
        (b, "census|2", "birth_date", "1969-06-04"),
    )
    links = [Link(a, m, 0.9), Link(b, m, 0.8)]
    result = cluster([a, b, m], links, attributes=household)
    assert result.groups == [frozenset({a, m}), frozenset({b})]
    assert result.splits[0].field == "first_name+birth_date"
    one_person = held(
        (a, "census|1", "first_name", "Jon"),
        (a, "census|1", "birth_date", "1969-02-04"),
        (b, "census|2", "first_name", "John"),
        (b, "census|2", "birth_date", "1969-06-04"),
    )
    assert cluster([a, b, m], links, attributes=one_person).groups == [frozenset({a, b, m})]


@st.composite
def record_graphs(
    draw: st.DrawFn,
) -> tuple[list[str], list[Link], list[tuple[str, str, str, str]]]:
    """Record stand-ins (some from a census) and phones, linked at random; records carry
    random birth dates (or none), phones hold the dates of the records that gave them."""
    n = draw(st.integers(1, 10))
    records = [f"record:{draw(st.sampled_from(['census', 'web']))}|{i}" for i in range(n)]
    phones = [f"phone:+{i}" for i in range(draw(st.integers(0, 3)))]
    nodes = records + phones
    pairs = [(a, b) for a, b in itertools.combinations(sorted(nodes), 2)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=14)) if pairs else []
    links = [Link(a, b, draw(st.sampled_from([0.3, 0.6, 0.75, 0.9, 0.99]))) for a, b in chosen]
    rows: list[tuple[str, str, str, str]] = []
    for node in records:
        key = node.split(":", 1)[1]
        extra = draw(st.lists(st.sampled_from(phones), max_size=2, unique=True)) if phones else []
        observed = [node, *extra]
        date = draw(st.one_of(st.none(), st.sampled_from(DATES)))
        for holder in observed:
            rows.append((holder, key, RECORD_FIELD, key))
            if date is not None:
                rows.append((holder, key, "birth_date", date))
    return nodes, links, rows


@settings(max_examples=150, deadline=None)
@given(record_graphs(), st.randoms(use_true_random=False))
def test_record_comparisons_and_once_policies_are_order_independent(
    graph: tuple[list[str], list[Link], list[tuple[str, str, str, str]]], rng: random.Random
) -> None:
    nodes, links, rows = graph
    policies = (*DEFAULT_ATTRIBUTE_POLICIES, AttributePolicy.once("census"))
    shuffled_nodes, shuffled_links, shuffled_rows = list(nodes), list(links), list(rows)
    rng.shuffle(shuffled_nodes)
    rng.shuffle(shuffled_links)
    rng.shuffle(shuffled_rows)

    first = cluster(
        nodes, links, attribute_policies=policies, attributes=node_attributes(rows, policies)
    )
    second = cluster(
        shuffled_nodes,
        shuffled_links,
        attribute_policies=policies,
        attributes=node_attributes(shuffled_rows, policies),
    )

    assert first.groups == second.groups and first.splits == second.splits
    assert_partition(first, nodes)
    attributes = node_attributes(rows, policies)
    for group in first.groups:
        census = {
            record
            for node in group
            for record, _ in attributes.get(node, {}).get("@record:census", ())
        }
        holders = [n for n in group if attributes.get(n, {}).get("@record:census")]
        # two census records only where one identifier observed both (no cut parts them)
        assert len(census) <= 1 or len(holders) == 1


def test_a_must_link_override_outranks_kind_and_attribute_policies() -> None:
    # An analyst looked and said: one person (two web accounts, two birth dates). The
    # policies do not cut the override; a cannot-link still does.
    web1, web2, email = "account:web/u-1", "account:web/u-2", "email:a@x.com"
    attributes = held(
        (web1, "web|1", "birth_date", "1990-02-01"), (web2, "web|2", "birth_date", "1975-06-30")
    )
    links = [Link(email, web1, 0.9), Link(email, web2, 0.9)]

    assert len(cluster([web1, web2, email], links, attributes=attributes).groups) == 2
    same = cluster([web1, web2, email], [*links, Link(web1, web2, 1.0)], attributes=attributes)
    assert same.groups == [frozenset({web1, web2, email})] and same.splits == []

    apart = cluster(
        [web1, web2, email],
        [*links, Link(web1, web2, 1.0)],
        cannot_link=[CannotLink(web1, web2, "override O-1")],
        attributes=attributes,
    )
    assert all(not {web1, web2} <= group for group in apart.groups)


def test_components_cut_in_worker_processes_give_the_same_clustering() -> None:
    """The bulk load cuts components in forked workers (``mapper``): the customers and the
    splits, in their order, are those of one process."""
    from app.bulk.parallel import fork_map
    from app.engine.clustering import CUT_CHUNK, CannotLink

    rng = random.Random(3)
    links, cannot = [], []
    for c in range(3 * CUT_CHUNK + 5):  # several tasks, the last one short
        chain = [f"email:{c}-{i}@x.test" for i in range(rng.randint(2, 6))]
        links += [Link(*sorted(pair), rng.uniform(0.6, 0.99)) for pair in itertools.pairwise(chain)]
        if c % 2:  # every other component breaks a rule and is cut
            cannot.append(CannotLink(chain[0], chain[-1], f"o-{c}"))
    nodes = sorted({n for link in links for n in (link.a, link.b)})
    serial = cluster(nodes, links, cannot_link=cannot)
    forked = cluster(
        nodes, links, cannot_link=cannot, mapper=lambda task, items: fork_map(task, items, 2)
    )
    assert len(serial.splits) == len(cannot)
    assert forked.groups == serial.groups
    assert forked.splits == serial.splits
    assert forked.confidence == serial.confidence


# ---------------------------------------------------------------------- minimum cut


@st.composite
def cut_problems(
    draw: st.DrawFn, probabilities: st.SearchStrategy[float]
) -> tuple[list[str], list[Link], str, str]:
    """A connected graph of up to 10 nodes and two of its nodes."""
    n = draw(st.integers(2, 10))
    nodes = [f"email:{i:02d}" for i in range(n)]
    pairs = list(itertools.combinations(nodes, 2))
    order = draw(st.permutations(nodes))
    tree = [
        (min(a, b), max(a, b))
        for a, b in ((order[i], order[draw(st.integers(0, i - 1))]) for i in range(1, n))
    ]
    extra = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=20))
    links = [Link(a, b, draw(probabilities)) for a, b in sorted(set(tree) | set(extra))]
    s, t = draw(st.lists(st.sampled_from(nodes), min_size=2, max_size=2, unique=True))
    return nodes, links, s, t


def _cut_inputs(
    nodes: list[str], links: list[Link]
) -> tuple[dict[str, dict[str, float]], nx.Graph]:
    from app.engine.clustering import _capacity

    adjacency: dict[str, dict[str, float]] = {n: {} for n in nodes}
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    for link in links:
        adjacency[link.a][link.b] = adjacency[link.b][link.a] = link.p
        graph.add_edge(link.a, link.b, capacity=_capacity(link.p))
    return adjacency, graph


def _forced(graph: nx.Graph, side: str, node: str) -> nx.Graph:
    """``graph`` with ``node`` tied to ``side`` by a link no cut can cross (networkx takes
    a link without a capacity as infinite: a large finite one would round the sums)."""
    forced = graph.copy()
    forced.add_edge(side, node)
    forced.edges[side, node].pop("capacity", None)
    return forced


def _unique_minimum_cut_side(graph: nx.Graph, s: str, t: str, value: float) -> set[str] | None:
    """The s side of the minimum cut when no other cut costs ``value`` (nor within
    rounding of it), else None. Built from networkx's cut *values* alone: each node but s
    and t is tied to one side, then to the other; the side that keeps the minimum is its
    side, and if both keep it, two minimum cuts place it differently. (networkx's own
    partition is read off a float residual graph and can be a cut that costs more.)"""
    margin = 1e-7 * (1.0 + value)
    side_s = {s}
    for node in set(graph) - {s, t}:
        to_s, to_t = (
            nx.minimum_cut_value(_forced(graph, side, node), s, t, capacity="capacity")
            for side in (s, t)
        )
        if max(to_s, to_t) <= value + margin:
            return None
        if to_s <= value + margin:
            side_s.add(node)
    return side_s


@settings(max_examples=300, deadline=None)
@given(cut_problems(st.floats(0.5, 0.999999, allow_nan=False)))
def test_minimum_cut_is_networkx_cut(problem: tuple[list[str], list[Link], str, str]) -> None:
    """Oracle: networkx's minimum cut value (preflow-push), and where the minimum cut is
    unique, its sides. Random probabilities rarely tie, but they can (many draws of 0.5):
    those draws are left to the test with ties below."""
    from app.engine.clustering import _minimum_cut

    nodes, links, s, t = problem
    adjacency, graph = _cut_inputs(nodes, links)
    value = nx.minimum_cut_value(graph, s, t, capacity="capacity")
    side_s, side_t, cut = _minimum_cut(frozenset(nodes), adjacency, s, t)
    assert sum(graph.edges[a, b]["capacity"] for a, b in cut) == pytest.approx(value)
    expected_s = _unique_minimum_cut_side(graph, s, t, value)
    assume(expected_s is not None)
    assert side_s == expected_s and side_t == set(nodes) - side_s
    crossing = sorted(
        (min(a, b), max(a, b)) for a, b in graph.edges() if (a in side_s) != (b in side_s)
    )
    assert list(cut) == crossing


@settings(max_examples=300, deadline=None)
@given(cut_problems(st.sampled_from([0.6, 0.9, 0.95, 0.99, 0.999, 1.0])))
def test_minimum_cut_with_ties_takes_the_smallest_t_side(
    problem: tuple[list[str], list[Link], str, str],
) -> None:
    """With a few probabilities many cuts tie (-ln(0.01) = 2 * -ln(0.1)): the cut is a
    minimum one (networkx's value) and its t side the smallest of all, i.e. each of its
    nodes but t is on the t side of every minimum cut (forcing one to the s side costs
    more). networkx's own choice among tied cuts depends on float rounding."""
    from app.engine.clustering import _minimum_cut

    nodes, links, s, t = problem
    adjacency, graph = _cut_inputs(nodes, links)
    value = nx.minimum_cut_value(graph, s, t, capacity="capacity")
    side_s, side_t, cut = _minimum_cut(frozenset(nodes), adjacency, s, t)
    assert s in side_s and t in side_t and side_s | side_t == set(nodes)
    assert sum(graph.edges[a, b]["capacity"] for a, b in cut) == pytest.approx(value)
    for node in side_t - {t}:
        forced = _forced(graph, s, node)
        assert nx.minimum_cut_value(forced, s, t, capacity="capacity") > value + 1e-6


def test_record_attributes_are_every_observation_of_every_identifier() -> None:
    """``record_attributes`` cleans each record's values once and hands them to each of
    its identifiers: the same as :func:`node_attributes` fed one observation per
    identifier, record and field (its definition)."""
    rng = random.Random(11)
    policies = (*DEFAULT_ATTRIBUTE_POLICIES, AttributePolicy.once("census"))
    fields = sorted({name for policy in policies for name in policy.fields})
    records = []
    for n in range(400):
        attributes = {
            "first_name": rng.choice(["Ann", "ann ", "Bo", "", "Cy"]),
            "birth_date": rng.choice(["1980-01-02", "19800102", "1980-02-01", "", "x"]),
            "national_id": rng.choice(["12-34", "1234", "9999", ""]),
        }
        idents = {f"{k}:{rng.randrange(60)}" for k in rng.sample(["email", "phone", "cookie"], 2)}
        records.append(
            NormalisedRecord(
                source=rng.choice(["census", "crm", "web"]),
                record_id=str(n),
                observed_at=datetime(2024, 1, 1, tzinfo=UTC),
                identifiers=tuple(
                    Identifier(kind=k.split(":")[0], value=k.split(":")[1]) for k in sorted(idents)
                ),
                attributes={k: v for k, v in attributes.items() if v},
                content_hash="-",
            )
        )
    expected = node_attributes(
        (
            (ident.key, record.key, name, value)
            for record in records
            for ident in record.identifiers
            for name in fields
            if (value := record.key if name == RECORD_FIELD else record.attributes.get(name))
        ),
        policies,
    )
    assert record_attributes(records, policies) == expected
    assert any(len(v) > 1 for node in expected.values() for v in node.values())
