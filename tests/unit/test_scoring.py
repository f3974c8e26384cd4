"""Scoring: match probability from co-observation evidence, and which pairs a record links."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.scoring import (
    DEFAULT_KIND_STRENGTH,
    ScoringConfig,
    anchor_of,
    link_probability,
    match_weight,
    record_links,
    source_of,
)

CONFIG = ScoringConfig()
KINDS = sorted(DEFAULT_KIND_STRENGTH)


def records(source: str, n: int) -> list[str]:
    return [f"{source}|r-{i}" for i in range(n)]


# ---------------------------------------------------------------------- link_probability


def test_single_record_gives_the_weaker_kind_strength() -> None:
    assert link_probability("email", "phone", ["crm|A-1"], CONFIG) == pytest.approx(0.9)
    assert link_probability("email", "account", ["crm|A-1"], CONFIG) == pytest.approx(0.95)


def test_no_records_no_probability() -> None:
    assert link_probability("email", "phone", [], CONFIG) == 0.0


def test_repeats_from_one_source_raise_the_probability() -> None:
    ps = [link_probability("email", "cookie", records("web", n), CONFIG) for n in range(1, 8)]

    assert all(a < b for a, b in itertools.pairwise(ps))


def test_repeat_follows_the_decay_formula() -> None:
    # p_s = 1 - (1 - base) * decay ** (n - 1)
    p = link_probability("email", "cookie", records("web", 3), CONFIG)

    assert p == pytest.approx(1 - 0.15 * 0.7**2)


def test_second_source_counts_more_than_a_repeat() -> None:
    repeat = link_probability("email", "phone", ["crm|A-1", "crm|A-2"], CONFIG)
    corroborated = link_probability("email", "phone", ["crm|A-1", "web|e-1"], CONFIG)

    assert corroborated > repeat
    assert corroborated == pytest.approx(1 - 0.1 * 0.1)


def test_duplicate_record_keys_count_as_given() -> None:
    # Callers pass sets of record keys; a set never holds a key twice.
    assert link_probability("email", "phone", {"crm|A-1"}, CONFIG) == pytest.approx(0.9)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([*KINDS, "loyalty"]),
    st.sampled_from([*KINDS, "loyalty"]),
    st.dictionaries(st.sampled_from(["crm", "web", "orders", "callcentre"]), st.integers(1, 60)),
)
def test_probability_is_bounded_and_symmetric(
    kind_a: str, kind_b: str, per_source: dict[str, int]
) -> None:
    recs = [r for source, n in per_source.items() for r in records(source, n)]
    p = link_probability(kind_a, kind_b, recs, CONFIG)

    if not recs:
        assert p == 0.0
        return
    assert 0.0 < p < 1.0
    assert p == link_probability(kind_b, kind_a, recs, CONFIG)
    assert math.isfinite(match_weight(p))


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(KINDS),
    st.sampled_from(KINDS),
    st.lists(st.sampled_from(["crm", "web", "orders"]), min_size=1, max_size=6),
)
def test_weaker_kind_dominates(kind_a: str, kind_b: str, sources: list[str]) -> None:
    recs = [f"{s}|r-{i}" for i, s in enumerate(sources)]
    weaker = min((kind_a, kind_b), key=CONFIG.strength)

    p = link_probability(kind_a, kind_b, recs, CONFIG)

    assert p == link_probability(weaker, weaker, recs, CONFIG)
    # Swapping the stronger end for any kind at least as strong changes nothing.
    for kind in KINDS:
        if CONFIG.strength(kind) >= CONFIG.strength(weaker):
            assert link_probability(weaker, kind, recs, CONFIG) == p


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["crm", "web", "orders"]), min_size=1, max_size=6),
    st.sampled_from(["crm", "web", "orders", "callcentre"]),
)
def test_more_evidence_never_lowers_the_probability(sources: list[str], extra: str) -> None:
    recs = [f"{s}|r-{i}" for i, s in enumerate(sources)]

    before = link_probability("email", "device", recs, CONFIG)
    after = link_probability("email", "device", [*recs, f"{extra}|new"], CONFIG)

    assert after >= before


def test_unknown_kind_uses_the_default_strength() -> None:
    config = ScoringConfig(default_strength=0.6)

    assert link_probability("loyalty", "email", ["crm|A-1"], config) == pytest.approx(0.6)


def test_source_of_record_key() -> None:
    assert source_of("crm|A-1001") == "crm"
    assert source_of("web|evt|1") == "web"


# ---------------------------------------------------------------------- match_weight


@pytest.mark.parametrize("p", [0.5, 0.8, 0.9, 0.95, 0.99, 0.1])
def test_match_weight_is_log2_odds(p: float) -> None:
    assert match_weight(p) == pytest.approx(math.log2(p / (1 - p)))


def test_match_weight_values() -> None:
    assert match_weight(0.5) == pytest.approx(0.0)
    assert match_weight(0.8) == pytest.approx(2.0)
    assert match_weight(0.2) == pytest.approx(-2.0)


def test_match_weight_is_finite_at_the_edges() -> None:
    assert math.isfinite(match_weight(0.0))
    assert math.isfinite(match_weight(1.0))


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0.0001, 0.9999, allow_nan=False),
    st.floats(0.0001, 0.9999, allow_nan=False),
)
def test_match_weight_is_monotone(p: float, q: float) -> None:
    lo, hi = sorted((p, q))

    assert match_weight(lo) <= match_weight(hi)
    if hi - lo > 1e-9:
        assert match_weight(lo) < match_weight(hi)


# ---------------------------------------------------------------------- record_links


@pytest.mark.parametrize(
    ("keys", "anchor"),
    [
        (["cookie:c", "device:d", "phone:+1", "email:e@x.com", "account:web/u"], "account:web/u"),
        (["cookie:c", "device:d", "phone:+1", "email:e@x.com"], "email:e@x.com"),
        (["cookie:c", "device:d", "phone:+1"], "phone:+1"),
        (["cookie:c", "device:d"], "device:d"),
        (["cookie:b", "cookie:a"], "cookie:a"),
        (["loyalty:1", "cookie:c"], "cookie:c"),
        (["email:b@x.com", "email:a@x.com", "phone:+1"], "email:a@x.com"),
    ],
)
def test_anchor_is_the_strongest_identifier(keys: list[str], anchor: str) -> None:
    assert anchor_of(keys) == anchor


def test_record_links_form_a_star_around_the_anchor() -> None:
    keys = ["phone:+14155550100", "cookie:ck", "email:jane@x.com", "account:web/u-1", "device:d"]

    links = record_links(keys)

    assert links == [
        ("account:web/u-1", "cookie:ck"),
        ("account:web/u-1", "device:d"),
        ("account:web/u-1", "email:jane@x.com"),
        ("account:web/u-1", "phone:+14155550100"),
    ]


def test_record_links_orders_each_pair() -> None:
    # The anchor (email) sorts after the cookie: the pair is still (smaller, larger).
    assert record_links(["email:z@x.com", "cookie:a"]) == [("cookie:a", "email:z@x.com")]


@pytest.mark.parametrize("keys", [[], ["email:a@x.com"], ["email:a@x.com", "email:a@x.com"]])
def test_single_identifier_links_nothing(keys: list[str]) -> None:
    assert record_links(keys) == []


KEY = st.builds(
    lambda kind, value: f"{kind}:{value}",
    st.sampled_from([*KINDS, "loyalty"]),
    st.text("abcdef0123", min_size=1, max_size=4),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(KEY, max_size=12), st.randoms(use_true_random=False))
def test_record_links_is_a_star(keys: list[str], rng) -> None:  # type: ignore[no-untyped-def]
    distinct = set(keys)

    links = record_links(keys)

    assert len(links) == max(len(distinct) - 1, 0)
    assert all(a < b for a, b in links)
    assert len(set(links)) == len(links)
    if links:
        anchor = anchor_of(distinct)
        assert all(anchor in pair for pair in links)
        assert {k for pair in links for k in pair} == distinct
    shuffled = list(keys)
    rng.shuffle(shuffled)
    assert record_links(shuffled) == links
