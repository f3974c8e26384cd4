"""Matching: profiles, comparison levels, blocking, Fellegi-Sunter scoring and estimation."""

from __future__ import annotations

import dataclasses
import json
import math
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import InvalidInputError
from app.engine.matching import (
    DEFAULT_COMPARISONS,
    ELSE_LEVEL,
    NULL_LEVEL,
    Comparison,
    MatchModel,
    MatchProfile,
    TermFrequencies,
    blocking_keys,
    candidate_pairs,
    cannot_match,
    compare,
    default_model,
    estimate_u_given,
    estimate_u_random,
    fit_em,
    fit_labelled,
    fit_unsupervised,
    is_term_block,
    possible_pairs,
    profile_of,
    similarities,
    term_block_keys,
)

INDEX = {c.name: k for k, c in enumerate(DEFAULT_COMPARISONS)}


def profile(key: str = "crm|1", identifiers: tuple[str, ...] = (), **fields: str) -> MatchProfile:
    return MatchProfile(key=key, fields=fields, identifiers=frozenset(identifiers))


def level(field: str, a: str, b: str) -> int:
    return compare(profile("x|1", **{field: a}), profile("x|2", **{field: b}))[INDEX[field]]


# ---------------------------------------------------------------------------- profile_of


def test_profile_cleans_values() -> None:
    p = profile_of(
        "crm|A-1",
        {
            "first_name": "  Jane  ",
            "last_name": "Van   der Berg",
            "postcode": " 2600-A ",
            "national_id": "123 456 7",
            "street_number": "12b",
            "address_1": "12  Main St",
            "address_2": "Unit 4",
            "suburb": "Kingston ",
            "state": "ACT",
            "unrelated": "ignored",
        },
        ["email:b@x.com", "email:A@X.com", "phone:+61 2 5550 1234", "account:9"],
    )
    assert p is not None
    assert p.key == "crm|A-1"
    assert dict(p.fields) == {
        "first_name": "jane",
        "last_name": "van der berg",
        "postcode": "2600a",
        "national_id": "1234567",
        "street_number": "12b",
        "address": "12 main st",
        "unit": "unit 4",
        "suburb": "kingston",
        "state": "act",
        "email": "a@x.com",  # the first email key, sorted
        "phone": "61255501234",
    }
    assert p.identifiers == {
        "email:b@x.com",
        "email:A@X.com",
        "phone:+61 2 5550 1234",
        "account:9",
    }


def test_profile_uses_address_attribute_and_drops_empty_values() -> None:
    p = profile_of("s|1", {"last_name": "Doe", "address": " 1 High  St ", "suburb": "  "}, [])
    assert p is not None
    assert dict(p.fields) == {"last_name": "doe", "address": "1 high st"}


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("1990-04-17", "19900417"),
        ("19900417", "19900417"),
        ("1990-4-7", "19900407"),
        (" 19560931 ", "19560931"),  # impossible (Febrl corruption), kept
        ("1956093", "1956093"),  # unparsable, kept as digits
    ],
)
def test_birth_date_formats(raw: str, cleaned: str) -> None:
    p = profile_of("s|1", {"first_name": "a", "birth_date": raw}, [])
    assert p is not None
    assert p.fields["birth_date"] == cleaned


@pytest.mark.parametrize(
    ("attributes", "identifiers", "enough"),
    [
        ({"first_name": "Jane"}, [], False),  # a name alone
        ({"first_name": "Jane", "last_name": "Doe"}, [], False),  # still only names
        # no name, but a birth date, postcode and email still identify
        ({"postcode": "2600", "birth_date": "19900417"}, ["email:a@x.com"], True),
        ({"postcode": "2600"}, [], False),  # one field
        ({}, ["email:a@x.com", "phone:5550123"], False),  # bare identifiers
        ({"postcode": "2600", "state": "act", "street_number": "4"}, [], False),  # weak ones
        ({"first_name": "Jane", "postcode": "2600"}, [], True),
        ({"last_name": "Doe", "birth_date": "19900417"}, [], True),
        ({"last_name": "Doe"}, ["phone:5550123"], True),
        ({"last_name": "Doe"}, ["email:d@x.com"], True),
        ({"last_name": "Doe", "national_id": "12"}, [], True),
        ({"last_name": "Doe", "address_1": "1 High St"}, [], True),
        ({"last_name": "Doe", "suburb": "Kingston", "state": "act"}, [], True),
        ({"last_name": "Doe", "state": "act"}, [], False),
        ({"last_name": "  ", "postcode": "2600"}, [], False),
    ],
)
def test_enough_to_match_on(
    attributes: dict[str, str], identifiers: list[str], enough: bool
) -> None:
    assert (profile_of("s|1", attributes, identifiers) is not None) is enough


# ------------------------------------------------------------------------------ compare


def test_labels_start_with_null_and_else_and_end_with_exact() -> None:
    for comparison in DEFAULT_COMPARISONS:
        assert comparison.labels[NULL_LEVEL] == "null"
        assert comparison.labels[ELSE_LEVEL] == "else"
        assert comparison.labels[-1] == "exact"
    assert Comparison("first_name", "name").labels == (
        "null",
        "else",
        "jw>=0.80",
        "jw>=0.92",
        "exact",
    )


def test_unknown_method_is_rejected() -> None:
    with pytest.raises(InvalidInputError):
        Comparison("x", "fuzzy")


@pytest.mark.parametrize(
    ("field", "a", "b", "label"),
    [
        ("first_name", "jonathan", "jonathan", "exact"),
        ("first_name", "jonathan", "jonathon", "jw>=0.92"),
        ("first_name", "mary", "marie", "jw>=0.80"),
        ("first_name", "jon", "john", "jw>=0.92"),
        ("first_name", "jonathan", "mary", "else"),
        ("birth_date", "19900417", "19900417", "exact"),
        ("birth_date", "19900417", "19900418", "osa<=1|day_month_swap"),
        ("birth_date", "19900412", "19901204", "osa<=1|day_month_swap"),
        ("birth_date", "19420704", "19402704", "osa<=1|day_month_swap"),
        ("birth_date", "19420704", "19247004", "else"),
        ("birth_date", "19900417", "19911231", "else"),
        ("national_id", "2694239", "2694239", "exact"),
        ("national_id", "2694239", "2692439", "osa<=1"),
        ("national_id", "2694239", "2694238", "osa<=1"),
        ("national_id", "2694239", "2614238", "lev<=2"),
        ("national_id", "2694239", "9999999", "else"),
        ("email", "a.b@x.com", "a.b@x.com", "exact"),
        ("email", "john.smith@x.com", "johnsmith+shop@y.org", "same_local|typo_same_digits"),
        ("email", "jsmith@x.com", "jsmiht@x.com", "same_local|typo_same_digits"),
        ("email", "nicholas.diaz935@x.com", "nicholas.diaz636@x.com", "else"),
        ("email", "jsmith1@x.com", "jsmith2@x.com", "else"),
        ("email", "jsmith@x.com", "mary@y.org", "else"),
        ("phone", "5550123", "5550123", "exact"),
        ("phone", "5550123", "5550124", "osa<=1"),
        ("phone", "5550123", "5550213", "osa<=1"),
        ("phone", "5550123", "5550456", "else"),
        ("phone", "5550123", "5551234", "else"),
    ],
)
def test_compare_levels(field: str, a: str, b: str, label: str) -> None:
    comparison = DEFAULT_COMPARISONS[INDEX[field]]
    assert comparison.labels[level(field, a, b)] == label


def test_missing_field_is_null_level() -> None:
    a = profile("x|1", first_name="jane", last_name="doe")
    b = profile("x|2", first_name="jane")
    gamma = compare(a, b)
    assert len(gamma) == len(DEFAULT_COMPARISONS)
    assert gamma[INDEX["first_name"]] == 4
    assert all(g == NULL_LEVEL for k, g in enumerate(gamma) if k != INDEX["first_name"])
    sims = similarities(a, b)
    assert sims[INDEX["first_name"]] == pytest.approx(1.0)
    assert sims[INDEX["last_name"]] is None


# ----------------------------------------------------------------------------- blocking


def test_blocking_keys_by_rule() -> None:
    p = profile(
        first_name="john",
        last_name="smith",
        birth_date="19900417",
        postcode="2600",
        national_id="1234567",
        email="john.smith+shop@x.com",
        phone="61255501234",
    )
    assert blocking_keys(p) == [
        "dob:19900417",
        "email_local:johnsmith",
        "names:JN|SM0",
        "nid:1234567",
        "nid_digits:1234567",
        "pc_init:2600|j",
        "phone7:5501234",
        "sx_year:S530|1990",
    ]


def test_address_keys_and_swapped_names_share_blocks() -> None:
    a = profile(
        first_name="jett",
        last_name="colegate",
        street_number="55",
        postcode="6011",
        suburb="st albans",
        address="hampton ircuit",
    )
    b = profile(
        first_name="colegate",
        last_name="jett",
        street_number="55",
        postcode="6011",
        suburb="st albans",
        address="hampton circuit",
    )
    shared = set(blocking_keys(a)) & set(blocking_keys(b))
    assert {k.split(":")[0] for k in shared} == {
        "names",
        "addr_no",
        "addr_pc",
        "addr_sub",
        "pc_init",
    } - {"pc_init"}
    assert "addr_no:55|hamp" in shared and "addr_sub:stal|hamp" in shared
    c = profile(first_name="ann", national_id="2694239", postcode="1")
    d = profile(first_name="ann", national_id="2692439", postcode="1")
    assert "nid_digits:2234699" in set(blocking_keys(c)) & set(blocking_keys(d))


def test_rules_without_inputs_give_no_key() -> None:
    assert blocking_keys(profile(last_name="smith", phone="12345")) == []
    assert blocking_keys(profile(first_name="john", postcode="2600")) == ["pc_init:2600|j"]


def test_surname_typo_still_shares_a_block() -> None:
    original = profile(
        "a|1", first_name="john", last_name="smith", birth_date="19900417", postcode="2600"
    )
    typo = profile(
        "a|2", first_name="john", last_name="smiht", birth_date="19900417", postcode="2600"
    )
    assert set(blocking_keys(original)) & set(blocking_keys(typo))
    assert [(a.key, b.key) for a, b in candidate_pairs([typo, original])] == [("a|1", "a|2")]


def _word(rng: random.Random, low: int, high: int) -> str:
    syllables = ["ka", "lo", "mi", "ren", "tor", "sa", "vel", "du", "bri", "han", "zo", "pe"]
    return "".join(rng.choice(syllables) for _ in range(rng.randint(low, high)))


def _person(rng: random.Random, key: str) -> MatchProfile:
    return profile(
        key,
        first_name=_word(rng, 1, 3),
        last_name=_word(rng, 2, 4),
        birth_date=f"{rng.randint(1930, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
        postcode=str(rng.randint(2000, 7999)),
        street_number=str(rng.randint(1, 300)),
        address=f"{rng.randint(1, 300)} {_word(rng, 2, 3)} street",
        suburb=_word(rng, 2, 3),
        national_id=str(rng.randint(1_000_000, 9_999_999)),
    )


def _typo(rng: random.Random, value: str) -> str:
    i = rng.randrange(len(value))
    kind = rng.choice(["sub", "del", "ins", "swap"])
    if kind == "sub":
        return value[:i] + rng.choice(string.ascii_lowercase + string.digits) + value[i + 1 :]
    if kind == "del" and len(value) > 1:
        return value[:i] + value[i + 1 :]
    if kind == "swap" and i + 1 < len(value):
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    return value[:i] + rng.choice(string.ascii_lowercase) + value[i:]


def test_random_profiles_give_far_fewer_pairs_than_all_pairs() -> None:
    rng = random.Random(1)
    profiles = [_person(rng, f"s|{i:03d}") for i in range(300)]
    pairs = candidate_pairs(profiles)
    assert len(pairs) < 300 * 299 / 2 / 50
    assert all(a.key < b.key for a, b in pairs)
    assert len({(a.key, b.key) for a, b in pairs}) == len(pairs)


def test_blocking_recall_on_febrl_like_duplicates() -> None:
    """Duplicates with typos in one or two fields (as in the Febrl sets) are candidates."""
    rng = random.Random(2)
    originals = [_person(rng, f"org|{i:04d}") for i in range(1000)]
    duplicates = []
    typo_fields = ["first_name", "last_name", "birth_date", "postcode", "national_id", "suburb"]
    for i, original in enumerate(originals[:400]):
        fields = dict(original.fields)
        for name in rng.sample(typo_fields, rng.choice([1, 2])):
            fields[name] = _typo(rng, fields[name])
        duplicates.append(profile(f"dup|{i:04d}", **fields))
    pairs = {(a.key, b.key) for a, b in candidate_pairs(originals + duplicates)}
    found = sum((f"dup|{i:04d}", f"org|{i:04d}") in pairs for i in range(400))
    assert found / 400 >= 0.98
    n = len(originals) + len(duplicates)
    assert len(pairs) < n * (n - 1) / 2 / 100


def test_pairs_sharing_an_identifier_are_not_candidates() -> None:
    a = profile("a|1", ("email:j@x.com",), first_name="john", birth_date="19900417")
    b = profile("a|2", ("email:j@x.com",), first_name="jon", birth_date="19900417")
    c = profile("a|3", ("phone:1",), first_name="joan", birth_date="19900417")
    assert [(x.key, y.key) for x, y in candidate_pairs([a, b, c])] == [
        ("a|1", "a|3"),
        ("a|2", "a|3"),
    ]


def test_two_records_of_a_source_listing_everyone_once_are_not_candidates() -> None:
    a = profile("a|1", first_name="john", birth_date="19900417")
    b = profile("a|2", first_name="jon", birth_date="19900417")
    c = profile("b|1", first_name="joan", birth_date="19900417")
    everyone = [(x.key, y.key) for x, y in candidate_pairs([a, b, c])]
    assert everyone == [("a|1", "a|2"), ("a|1", "b|1"), ("a|2", "b|1")]
    linked = [
        (x.key, y.key) for x, y in candidate_pairs([a, b, c], one_per_person=frozenset({"a"}))
    ]
    assert linked == [("a|1", "b|1"), ("a|2", "b|1")]
    assert cannot_match("a|1", "a|2", frozenset({"a"})) and not cannot_match(
        "a|1", "b|1", frozenset({"a"})
    )
    # 3 records: 3 pairs; the pair inside source a cannot match
    assert possible_pairs(["a|1", "a|2", "b|1"]) == 3
    assert possible_pairs(["a|1", "a|2", "b|1"], frozenset({"a"})) == 2


def test_oversize_blocks_are_skipped() -> None:
    same_day = [profile(f"a|{i}", first_name=f"n{i}", birth_date="19900417") for i in range(5)]
    assert len(candidate_pairs(same_day, max_block=5)) == 10
    assert candidate_pairs(same_day, max_block=4) == []


# ------------------------------------------------------------------------------ scoring


def test_default_model_is_monotone_in_every_field() -> None:
    model = default_model()
    base = [ELSE_LEVEL] * len(DEFAULT_COMPARISONS)
    for k, comparison in enumerate(DEFAULT_COMPARISONS):
        probabilities = []
        for lvl in range(ELSE_LEVEL, len(comparison.labels)):
            gamma = list(base)
            gamma[k] = lvl
            probabilities.append(model.score(gamma)[1])
        assert probabilities == sorted(probabilities), comparison.name
        assert probabilities[0] < probabilities[-1]


def test_null_fields_are_neutral() -> None:
    model = default_model()
    nulls = [NULL_LEVEL] * len(DEFAULT_COMPARISONS)
    weight, probability = model.score(nulls)
    assert weight == pytest.approx(math.log2(model.prior / (1 - model.prior)))
    assert probability == pytest.approx(model.prior)
    gamma = list(nulls)
    gamma[INDEX["first_name"]] = 4
    weight_first, _ = model.score(gamma)
    m, u = model.m["first_name"][4], model.u["first_name"][4]
    assert weight_first - weight == pytest.approx(math.log2(m / u))


def test_probability_matches_the_formula_and_stays_inside_0_1() -> None:
    model = default_model()
    gamma = (4, 2, 3, 1, 0, 0, 2)
    prod_m = prod_u = 1.0
    for comparison, lvl in zip(DEFAULT_COMPARISONS, gamma, strict=True):
        if lvl:
            prod_m *= model.m[comparison.name][lvl]
            prod_u *= model.u[comparison.name][lvl]
    expected = model.prior * prod_m / (model.prior * prod_m + (1 - model.prior) * prod_u)
    assert model.score(gamma)[1] == pytest.approx(expected)
    tops = [len(c.labels) - 1 for c in DEFAULT_COMPARISONS]
    assert 0.0 < model.score(tops)[1] < 1.0
    assert 0.0 < model.score([ELSE_LEVEL] * len(tops))[1] < 1.0


def test_score_pair_explains_each_field() -> None:
    model = default_model()
    a = profile("b|2", first_name="jonathan", last_name="smith", birth_date="19900417")
    b = profile("a|1", first_name="jonathon", last_name="smith", postcode="2600")
    pair = model.score_pair(a, b)
    assert (pair.a, pair.b) == ("a|1", "b|2")
    assert [f.field for f in pair.fields] == [c.name for c in DEFAULT_COMPARISONS]
    assert (pair.match_weight, pair.match_probability) == model.score(pair.gamma)
    body = json.loads(pair.comparison_json())
    assert sorted(body) == ["first_name", "last_name"]
    assert body["first_name"]["level"] == "jw>=0.92"
    assert body["last_name"] == {
        "level": "exact",
        "similarity": 1.0,
        "weight": round(math.log2(model.m["last_name"][-1] / model.u["last_name"][-1]), 4),
    }
    assert " " not in pair.comparison_json()


def test_model_json_round_trip_keeps_scores() -> None:
    model = default_model()
    again = MatchModel.from_json(model.to_json())
    assert again == model
    rng = random.Random(3)
    for _ in range(200):
        gamma = [rng.randrange(len(c.labels)) for c in DEFAULT_COMPARISONS]
        assert again.score(gamma) == model.score(gamma)
    with pytest.raises(InvalidInputError):
        MatchModel.from_json('{"version": "x"}')


def test_describe_lists_every_non_null_level() -> None:
    rows = default_model().describe()
    assert len(rows) == sum(len(c.labels) - 1 for c in DEFAULT_COMPARISONS)
    first_exact = next(r for r in rows if r["field"] == "first_name" and r["label"] == "exact")
    model = default_model()
    assert first_exact["bayes_factor"] == pytest.approx(
        model.m["first_name"][-1] / model.u["first_name"][-1]
    )


@pytest.mark.parametrize(
    ("a", "b", "joins"),
    [
        # a name alone, or a name against a different phone, is not enough
        (
            {"first_name": "ryan", "last_name": "hernandez", "suburb": "x"},
            {"first_name": "ryan", "last_name": "hernandez", "postcode": "95125"},
            False,
        ),
        (
            {"first_name": "ryan", "last_name": "hernandez", "phone": "14159000000"},
            {"first_name": "ryan", "last_name": "hernandez", "phone": "15108872736"},
            False,
        ),
        # a household: same surname, address and postcode; other first name and birth date
        (
            {
                "first_name": "ann",
                "last_name": "lee",
                "birth_date": "19800101",
                "postcode": "94110",
                "address": "4 mission st",
            },
            {
                "first_name": "tom",
                "last_name": "lee",
                "birth_date": "19820505",
                "postcode": "94110",
                "address": "4 mission st",
            },
            False,
        ),
        # a name plus a birth date and postcode, or plus a near-identical email, is
        (
            {
                "first_name": "jon",
                "last_name": "smyth",
                "birth_date": "19900201",
                "postcode": "94110",
            },
            {
                "first_name": "john",
                "last_name": "smith",
                "birth_date": "19900201",
                "postcode": "94110",
            },
            True,
        ),
        (
            {"first_name": "jane", "last_name": "doe", "email": "jane.doe@example.com"},
            {"first_name": "jane", "last_name": "doe", "email": "jane.doe@gmial.com"},
            True,
        ),
    ],
)
def test_default_model_is_cautious_with_names(
    a: dict[str, str], b: dict[str, str], joins: bool
) -> None:
    pair = default_model().score_pair(profile("a|1", **a), profile("b|2", **b))
    assert (pair.match_probability >= 0.5) is joins, pair.comparison_json()


def test_model_rejects_wrong_level_counts() -> None:
    model = default_model()
    with pytest.raises(InvalidInputError):
        MatchModel("x", 0.1, model.comparisons, {**model.m, "phone": (1.0, 1.0)}, model.u, "x")
    with pytest.raises(InvalidInputError):
        MatchModel("x", 1.0, model.comparisons, model.m, model.u, "x")


# ---------------------------------------------------------------------------- estimation

SMALL = (
    Comparison("first_name", "name"),
    Comparison("birth_date", "date"),
    Comparison("postcode", "code"),
    Comparison("state", "exact"),
)
TRUE_M = {
    "first_name": (1.0, 0.05, 0.10, 0.15, 0.70),
    "birth_date": (1.0, 0.10, 0.15, 0.75),
    "postcode": (1.0, 0.10, 0.05, 0.15, 0.70),
    "state": (1.0, 0.15, 0.85),
}
TRUE_U = {
    "first_name": (1.0, 0.80, 0.10, 0.05, 0.05),
    "birth_date": (1.0, 0.85, 0.10, 0.05),
    "postcode": (1.0, 0.70, 0.15, 0.10, 0.05),
    "state": (1.0, 0.60, 0.40),
}


def simulate(model: MatchModel, n: int, seed: int, null_rate: float = 0.05) -> list[list[int]]:
    rng = random.Random(seed)
    gammas = []
    for _ in range(n):
        table = model.m if rng.random() < model.prior else model.u
        gamma = []
        for comparison in model.comparisons:
            if rng.random() < null_rate:
                gamma.append(NULL_LEVEL)
                continue
            levels = range(1, len(comparison.labels))
            gamma.append(rng.choices(levels, weights=table[comparison.name][1:])[0])
        gammas.append(gamma)
    return gammas


def flat_start(comparisons: tuple[Comparison, ...], prior: float = 0.3) -> MatchModel:
    """A vague start: m leans to the top levels, u to else."""
    m, u = {}, {}
    for c in comparisons:
        n = len(c.labels) - 1
        m[c.name] = (1.0, *(float(i + 1) / (n * (n + 1) / 2) for i in range(n)))
        u[c.name] = (1.0, *(float(n - i) / (n * (n + 1) / 2) for i in range(n)))
    return MatchModel("start", prior, comparisons, m, u, "default")


def assert_close(fitted: MatchModel, truth: MatchModel, tolerance: float = 0.03) -> None:
    assert fitted.prior == pytest.approx(truth.prior, abs=tolerance)
    for c in truth.comparisons:
        assert fitted.m[c.name] == pytest.approx(truth.m[c.name], abs=tolerance), c.name
        assert fitted.u[c.name] == pytest.approx(truth.u[c.name], abs=tolerance), c.name


def test_em_recovers_known_parameters() -> None:
    truth = MatchModel("truth", 0.1, SMALL, TRUE_M, TRUE_U, "default")
    gammas = simulate(truth, 20_000, seed=11)
    fitted = fit_em(gammas, flat_start(SMALL))
    assert fitted.method == "em"
    assert fitted.version.startswith("em-")
    assert_close(fitted, truth)
    assert all(min(fitted.m[c.name][1:] + fitted.u[c.name][1:]) > 0 for c in SMALL)
    assert fit_em(gammas, flat_start(SMALL)) == fitted  # deterministic
    assert fit_em(list(reversed(gammas)), flat_start(SMALL)).version == fitted.version


def test_em_does_not_label_switch_from_an_inverted_start() -> None:
    truth = MatchModel("truth", 0.1, SMALL, TRUE_M, TRUE_U, "default")
    gammas = simulate(truth, 20_000, seed=12)
    start = flat_start(SMALL, prior=0.9)
    inverted = MatchModel("inv", 0.9, SMALL, start.u, start.m, "default")
    assert_close(fit_em(gammas, inverted), truth)


def test_em_from_default_model_keeps_match_class() -> None:
    base = default_model()
    truth = MatchModel("truth", 0.2, base.comparisons, base.m, base.u, "default")
    gammas = simulate(truth, 20_000, seed=13, null_rate=0.2)
    fitted = fit_em(gammas, base)
    assert fitted.prior == pytest.approx(0.2, abs=0.03)
    for c in base.comparisons:
        top = len(c.labels) - 1
        assert fitted.m[c.name][top] > fitted.u[c.name][top], c.name
        assert fitted.m[c.name][top] == pytest.approx(base.m[c.name][top], abs=0.03), c.name


def test_em_rejects_empty_and_misfit_input() -> None:
    with pytest.raises(InvalidInputError):
        fit_em([], flat_start(SMALL))
    with pytest.raises(InvalidInputError):
        fit_em([[1, 1, 1, 9]], flat_start(SMALL))


def _fit(profiles: list[MatchProfile], frequencies: bool = False) -> MatchModel:
    start = default_model()
    if frequencies:
        start = dataclasses.replace(
            start, frequencies=TermFrequencies.from_profiles(profiles, start.comparisons)
        )
    gammas = [compare(a, b) for a, b in candidate_pairs(profiles)]
    return fit_unsupervised(profiles, gammas, start)


def test_fit_on_profiles_runs_em_over_candidate_pairs() -> None:
    rng = random.Random(4)
    originals = [_person(rng, f"org|{i:03d}") for i in range(200)]
    duplicates = []
    for i, original in enumerate(originals[:100]):
        fields = dict(original.fields)
        fields["last_name"] = _typo(rng, fields["last_name"])
        duplicates.append(profile(f"dup|{i:03d}", **fields))
    model = _fit(originals + duplicates)
    assert model.method == "em"
    assert model.version.startswith("em-")
    true_pair = model.score_pair(originals[0], duplicates[0])
    other = model.score_pair(originals[0], originals[1])
    assert true_pair.match_probability > 0.9
    assert other.match_probability < 0.1


def test_fit_keeps_the_random_pairs_u_and_states_the_prior_over_all_pairs() -> None:
    """EM over candidate pairs moves neither m nor u in its last step: u re-estimated on
    candidates would learn that pairs blocked on a surname agree on it, and the share of
    matches among candidates is restated as the chance that any two records match."""
    rng = random.Random(4)
    originals = [_person(rng, f"org|{i:03d}") for i in range(200)]
    duplicates = [profile(f"dup|{i:03d}", **dict(o.fields)) for i, o in enumerate(originals[:100])]
    profiles = originals + duplicates
    start = default_model()
    gammas = [compare(a, b) for a, b in candidate_pairs(profiles)]
    model = fit_unsupervised(profiles, gammas, start)
    assert model.u == estimate_u_random(profiles, start).u
    all_pairs = len(profiles) * (len(profiles) - 1) / 2
    assert 0.5 * 100 / all_pairs < model.prior < 2 * 100 / all_pairs  # 100 true pairs
    # Told that each source lists everyone once (Febrl 4's two files), the prior is the
    # chance that two records of different sources match: only 200 * 100 pairs can.
    one_per_person = frozenset({"org", "dup"})
    linked = [compare(a, b) for a, b in candidate_pairs(profiles, one_per_person=one_per_person)]
    link_model = fit_unsupervised(profiles, linked, start, one_per_person=one_per_person)
    assert 0.5 * 100 / (200 * 100) < link_model.prior < 2 * 100 / (200 * 100)
    assert link_model.prior > 1.5 * model.prior


def _household(rng: random.Random, n: int, key: str) -> list[MatchProfile]:
    """``n`` people of one family at one address, each written by two sources."""
    last = _word(rng, 2, 4)
    number, street = str(rng.randint(1, 300)), f"{_word(rng, 2, 3)} street"
    out = []
    for i in range(n):
        person = {
            "first_name": _word(rng, 1, 3),
            "last_name": last,
            "birth_date": f"{rng.randint(1930, 2005)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}",
            "street_number": number,
            "address": street,
            "postcode": "00000",  # the placeholder everyone has
        }
        out.append(profile(f"census|{key}-{i}", **person))
        no_birth = {k: v for k, v in person.items() if k != "birth_date"}
        out.append(profile(f"tax|{key}-{i}", **no_birth))
    return out


def test_households_stay_apart_by_default_and_the_fit_finds_the_person() -> None:
    """Candidate pairs dominated by family members (same surname and address): the default
    model keeps siblings apart and the fit still recognises one person across sources
    (the fitted model keeps siblings apart too: the next test).
    """
    rng = random.Random(5)
    profiles = [p for h in range(150) for p in _household(rng, rng.randint(2, 5), f"h{h}")]
    by_key = {p.key: p for p in profiles}
    default = default_model()
    assert default.probability(by_key["census|h0-0"], by_key["census|h0-1"]) < 0.5
    assert default.probability(by_key["tax|h0-0"], by_key["tax|h0-1"]) < 0.5
    assert default.probability(by_key["census|h0-0"], by_key["tax|h0-0"]) > 0.5
    for frequencies in (False, True):
        model = _fit(profiles, frequencies)
        assert model.probability(by_key["census|h0-0"], by_key["tax|h0-0"]) > 0.9


def test_a_fitted_model_keeps_households_apart_by_their_shared_surname_and_address() -> None:
    """Family members agree on the surname and the address at once; the conditional u of
    the address given the surname makes that agreement count once, so a fitted model keeps
    two siblings apart (the built-in model has no conditional u) and still finds one
    person across two sources."""
    rng = random.Random(5)
    profiles = [p for h in range(150) for p in _household(rng, rng.randint(2, 5), f"h{h}")]
    by_key = {p.key: p for p in profiles}
    model = _fit(profiles)
    assert set(model.u_given) == {"address"}
    index = [c.name for c in model.comparisons].index("address")
    exact = model.comparisons[index].top_level
    # among strangers an exact address is rare; among people sharing a surname it is not
    assert model.u_given["address"][exact] > 50 * model.u["address"][exact]
    siblings = model.score_pair(by_key["tax|h0-0"], by_key["tax|h0-1"])
    assert siblings.match_probability < 0.5
    address = next(f for f in siblings.fields if f.field == "address")
    assert address.match_weight == pytest.approx(
        math.log2(model.m["address"][exact] / model.u_given["address"][exact])
    )
    assert model.probability(by_key["census|h0-0"], by_key["tax|h0-0"]) > 0.9
    again = MatchModel.from_json(model.to_json())
    assert again == model
    assert again.score_pair(by_key["tax|h0-0"], by_key["tax|h0-1"]) == siblings
    assert any("| last_name exact" in str(row["label"]) for row in model.describe())


def test_a_fitted_model_keeps_apart_a_family_member_filing_under_anothers_national_id() -> None:
    """In administrative data a family member's tax form sometimes carries another
    member's national id (a borrowed number): same surname, address and id, another first
    name. One person's own records disagree on the first name now and then too (a
    register that knows her by another name), so the first name alone does not outweigh
    an id that is rare among strangers. The conditional u of the id given the surname
    makes that agreement count as what it is among family members, so the fitted model no
    longer calls the borrower the owner, and still finds the owner's own forms."""
    rng = random.Random(8)
    profiles = []
    for h in range(150):
        family = _household(rng, rng.randint(2, 4), f"h{h}")
        census = [p for p in family if p.key.startswith("census|")]
        ids = [
            f"{rng.randint(100, 999)}{rng.randint(10, 99)}{rng.randint(1000, 9999)}" for _ in census
        ]
        for i, person in enumerate(census):
            profiles.append(person)
            own = {**person.fields, "national_id": ids[i]}
            del own["birth_date"]
            profiles.append(profile(f"tax|h{h}-{i}", **own))
            ssa = {**own, "birth_date": person.fields["birth_date"]}
            if rng.random() < 0.1:  # the register knows her by another name
                ssa["first_name"] = _word(rng, 3, 4)
            profiles.append(profile(f"ssa|h{h}-{i}", **ssa))
        # the second member files once more under the first member's number
        borrowed = {**census[1].fields, "national_id": ids[0]}
        del borrowed["birth_date"]
        profiles.append(profile(f"tax|h{h}-borrowed", **borrowed))
    by_key = {p.key: p for p in profiles}
    model = _fit(profiles)
    assert set(model.u_given) == {"address", "national_id"}
    index = [c.name for c in model.comparisons].index("national_id")
    exact = model.comparisons[index].top_level
    assert model.u_given["national_id"][exact] > 50 * model.u["national_id"][exact]
    borrower = by_key["tax|h0-borrowed"]
    assert model.probability(borrower, by_key["tax|h0-0"]) < 0.5
    assert model.probability(borrower, by_key["ssa|h0-0"]) < 0.5
    assert model.probability(borrower, by_key["census|h0-1"]) > 0.9  # her own census line
    assert model.probability(by_key["tax|h0-0"], by_key["ssa|h0-0"]) > 0.9
    assert model.probability(by_key["census|h0-0"], by_key["ssa|h0-0"]) > 0.9
    again = MatchModel.from_json(model.to_json())
    assert again == model


def test_the_conditional_u_counts_no_person_twice() -> None:
    """The conditional u is a chance rate among non-matches: a person listed twice with
    the first name replaced (same surname, birth date and address) is not a household and
    must not teach u that people sharing a surname share an address. Without households,
    the address given the surname is as rare as among strangers."""
    rng = random.Random(11)
    surnames = [_word(rng, 2, 3) for _ in range(30)]
    profiles = []
    for i in range(300):
        person = {
            "first_name": _word(rng, 2, 3),
            "last_name": rng.choice(surnames),
            "birth_date": f"{rng.randint(1930, 2005)}{rng.randint(10, 12)}{rng.randint(10, 28)}",
            "street_number": str(i + 1),
            "address": f"{_word(rng, 2, 3)} street",
            "postcode": f"{2000 + i}",
        }
        profiles.append(profile(f"crm|{i}", **person))
        if i % 3 == 0:  # listed again, the first name replaced (a typo-free mistake)
            again = {**person, "first_name": _word(rng, 4, 5)}
            profiles.append(profile(f"tax|{i}", **again))
    model = estimate_u_given(profiles, default_model())
    exact = DEFAULT_COMPARISONS[INDEX["address"]].top_level
    pairs_sharing_surname = sum(
        1
        for a in profiles
        for b in profiles
        if a.key < b.key and a.fields["last_name"] == b.fields["last_name"]
    )
    # no stranger shares an address here: only the floor of one count remains
    assert model.u_given["address"][exact] < 2 / pairs_sharing_surname * 5
    assert model.u_given["address"][exact] < 0.005


def test_a_conditional_u_is_validated() -> None:
    model = default_model()
    with pytest.raises(InvalidInputError):
        dataclasses.replace(model, u_given={"first_name": model.u["first_name"]})
    with pytest.raises(InvalidInputError):
        dataclasses.replace(model, u_given={"address": (1.0, 0.5)})


def test_estimate_u_random_measures_chance_agreement() -> None:
    rng = random.Random(6)
    profiles = [_person(rng, f"s|{i:03d}") for i in range(300)]
    for p in profiles[:150]:  # half the people share one surname
        object.__setattr__(p, "fields", {**p.fields, "last_name": "smith"})
    model = estimate_u_random(profiles, default_model(), max_pairs=5_000, seed=1)
    top = model.comparisons[INDEX["last_name"]].top_level
    # two random records both among the 150 Smiths: about (150/300)^2
    assert model.u["last_name"][top] == pytest.approx(0.25, abs=0.04)
    assert model.m == default_model().m


# ------------------------------------------------------------------ term frequencies


def test_term_frequencies_lower_common_values_only() -> None:
    people = [profile(f"s|{i}", last_name="smith", first_name=f"n{i}") for i in range(50)]
    people += [profile(f"r|{i}", last_name=f"rare{i}", first_name=f"m{i}") for i in range(50)]
    people += [profile("r|x", last_name="rare0", first_name="other")]
    frequencies = TermFrequencies.from_profiles(people, DEFAULT_COMPARISONS)
    assert frequencies.totals["last_name"] == 101
    assert frequencies.count("last_name", "smith") == 50
    assert frequencies.count("last_name", "never-seen") == 1
    assert frequencies.adjustment("last_name", "smith", "smith") < -0.9
    assert frequencies.adjustment("last_name", "rare0", "rare0") == 0.0
    model = dataclasses.replace(default_model(), frequencies=frequencies)
    smiths = model.score_pair(people[0], people[1])
    rares = model.score_pair(people[50], people[-1])
    last = INDEX["last_name"]
    assert smiths.fields[last].tf_adjustment < 0.0
    assert rares.fields[last].tf_adjustment == 0.0
    assert smiths.match_probability < rares.match_probability
    assert "tf" in json.loads(smiths.comparison_json())["last_name"]
    # frozen into the model: the JSON round trip keeps scores and names no clear value
    text = model.to_json()
    assert "smith" not in text
    again = MatchModel.from_json(text)
    assert again.score_pair(people[0], people[1]) == smiths


def test_term_frequencies_from_blocks_equal_counting_profiles() -> None:
    rng = random.Random(8)
    profiles = [_person(rng, f"s|{i:03d}") for i in range(100)]
    profiles += [profile(f"d|{i}", **dict(p.fields)) for i, p in enumerate(profiles[:30])]
    blocks: dict[str, int] = {}
    for p in profiles:
        for block in term_block_keys(p, DEFAULT_COMPARISONS):
            assert is_term_block(block)
            blocks[block] = blocks.get(block, 0) + 1
        assert not any(is_term_block(b) for b in blocking_keys(p))
    assert TermFrequencies.from_blocks(blocks.items()) == TermFrequencies.from_profiles(
        profiles, DEFAULT_COMPARISONS
    )


# ------------------------------------------------------------------- address comparison


@pytest.mark.parametrize(
    ("a", "b", "label"),
    [
        (
            {"street_number": "12", "address": "main st", "postcode": "2600"},
            {"street_number": "12", "address": "main st", "postcode": "2600"},
            "exact",
        ),
        (
            {"street_number": "12", "address": "main st", "postcode": "2600"},
            {"street_number": "12", "address": "main street", "postcode": "2600"},
            "street_and_number",
        ),
        ({"street_number": "12", "address": "main st"}, {"address": "main st"}, "same_street"),
        (
            {"street_number": "12", "address": "main st", "postcode": "2600"},
            {"street_number": "14", "address": "main st", "postcode": "2600"},
            "same_region",
        ),
        (
            {"street_number": "12", "address": "main st", "unit": "4", "postcode": "2600"},
            {"street_number": "12", "address": "main st", "unit": "5", "postcode": "2600"},
            "same_region",
        ),
        ({"postcode": "2600"}, {"postcode": "2600", "address": "main st"}, "same_region"),
        ({"suburb": "kingston"}, {"suburb": "kingston"}, "same_region"),
        (  # a postcode typo where the suburb agrees: one place
            {"address": "main st", "postcode": "2112", "suburb": "eastwood"},
            {"address": "ocean pde", "postcode": "2121", "suburb": "eastwood"},
            "same_region",
        ),
        (  # the same postcode typo in another suburb: two places
            {"address": "main st", "postcode": "2112", "suburb": "eastwood"},
            {"address": "ocean pde", "postcode": "2121", "suburb": "ryde"},
            "else",
        ),
        (  # a postcode two typos apart is another place, whatever the suburb says
            {"address": "main st", "postcode": "2112", "suburb": "eastwood"},
            {"address": "ocean pde", "postcode": "2199", "suburb": "eastwood"},
            "else",
        ),
        (
            {"street_number": "6", "address": "main st", "postcode": "3034", "suburb": "elz"},
            {"street_number": "6", "address": "main st", "postcode": "3043", "suburb": "elz"},
            "exact",
        ),
        (
            {"street_number": "12", "address": "main st", "postcode": "2600"},
            {"street_number": "7", "address": "ocean parade", "postcode": "3000"},
            "else",
        ),
        ({"street_number": "12", "address": "main st"}, {"postcode": "2600"}, "null"),
    ],
)
def test_address_is_one_comparison(a: dict[str, str], b: dict[str, str], label: str) -> None:
    gamma = compare(profile("x|1", **a), profile("x|2", **b))
    assert DEFAULT_COMPARISONS[INDEX["address"]].labels[gamma[INDEX["address"]]] == label


def test_fit_labelled_counts_with_smoothing() -> None:
    comparisons = (Comparison("state", "exact"), Comparison("first_name", "name"))
    gammas = [(2, 4), (2, 3), (1, 0), (1, 1), (2, 1)]
    labels = [True, True, True, False, False]
    model = fit_labelled(gammas, labels, comparisons, smoothing=1.0)
    assert model.method == "labels"
    assert model.prior == pytest.approx((3 + 1) / (5 + 2))
    # state, matches: else 1, exact 2 -> (1+1)/5, (2+1)/5
    assert model.m["state"] == pytest.approx((1.0, 2 / 5, 3 / 5))
    # state, non-matches: else 1, exact 1 -> 2/4 each
    assert model.u["state"] == pytest.approx((1.0, 0.5, 0.5))
    # first_name, matches (one null left out): jw>=0.92 1, exact 1 over 2 + 4
    assert model.m["first_name"] == pytest.approx((1.0, 1 / 6, 1 / 6, 2 / 6, 2 / 6))
    assert model.u["first_name"] == pytest.approx((1.0, 3 / 6, 1 / 6, 1 / 6, 1 / 6))
    unsmoothed = fit_labelled([(2,), (1,), (2,)], [True, False, True], comparisons[:1], 0.0)
    assert unsmoothed.prior == pytest.approx(2 / 3)
    assert unsmoothed.version.startswith("labels-")
    # an empty level is floored, not zero (it would give an infinite weight)
    assert unsmoothed.m["state"] == pytest.approx((1.0, 0.0, 1.0), abs=1e-5)
    assert unsmoothed.m["state"][1] > 0.0
    with pytest.raises(InvalidInputError):
        fit_labelled([(2,)], [True], comparisons[:1], smoothing=0.0)  # no non-match at all


# ---------------------------------------------------------------------------- properties

_values = st.text(alphabet="abcdejmnorst0123 .@+", max_size=10)
_profiles = st.fixed_dictionaries(
    {},
    optional={c.name: _values for c in DEFAULT_COMPARISONS},
)


@settings(max_examples=300, deadline=None)
@given(_profiles, _profiles)
def test_compare_and_score_are_symmetric(
    fields_a: dict[str, str], fields_b: dict[str, str]
) -> None:
    a = profile("k|a", **{k: v for k, v in fields_a.items() if v})
    b = profile("k|b", **{k: v for k, v in fields_b.items() if v})
    assert compare(a, b) == compare(b, a)
    assert similarities(a, b) == pytest.approx(similarities(b, a))
    model = default_model()
    assert model.score_pair(a, b) == model.score_pair(b, a)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.integers(0, 4), min_size=len(DEFAULT_COMPARISONS), max_size=len(DEFAULT_COMPARISONS)
    ),
    st.integers(0, len(DEFAULT_COMPARISONS) - 1),
)
def test_raising_a_level_never_lowers_the_probability(raw: list[int], k: int) -> None:
    model = default_model()
    gamma = [min(g, len(c.labels) - 1) for g, c in zip(raw, DEFAULT_COMPARISONS, strict=True)]
    if gamma[k] in (NULL_LEVEL, len(DEFAULT_COMPARISONS[k].labels) - 1):
        return
    raised = list(gamma)
    raised[k] += 1
    assert model.score(raised)[1] >= model.score(gamma)[1]
    assert model.score(raised)[0] > model.score(gamma)[0]


def test_all_pairs_are_not_compared() -> None:
    """A guard against candidate_pairs degrading into all pairs on a shared field."""
    profiles = [profile(f"a|{i}", first_name="x", state="act", postcode=str(i)) for i in range(50)]
    assert candidate_pairs(profiles) == []


def test_swapped_first_and_last_names_compare_as_one_person() -> None:
    a = profile("a|1", first_name="garcia", last_name="maria", birth_date="19721130")
    b = profile("b|1", first_name="maria", last_name="garcia", birth_date="19721130")
    c = profile("c|1", first_name="mario", last_name="garcia", birth_date="19721130")
    first, last = INDEX["first_name"], INDEX["last_name"]
    assert compare(a, b)[first] == compare(a, b)[last] == 4
    assert compare(a, c) == compare(c, a)
    assert compare(a, c)[first] == 3 and compare(a, c)[last] == 4  # jw>=0.92, exact
    model = default_model()
    assert model.probability(a, b) == model.probability(b, a) > 0.9
    unswapped = profile("d|1", first_name="maria", last_name="lopez", birth_date="19721130")
    assert compare(b, unswapped)[first] == 4 and compare(b, unswapped)[last] == ELSE_LEVEL


def _models_to_bound() -> list[MatchModel]:
    """The built-in model, one with term frequencies and one with a conditional u."""
    base = default_model()
    comparisons = base.comparisons
    values = [f"{a}{b}" for a in "ajs" for b in "mor"]
    frequencies = TermFrequencies.from_profiles(
        [
            profile(f"f|{i}", **{c.name: values[i % (k + 2)] for k, c in enumerate(comparisons)})
            for i in range(60)
        ],
        comparisons,
    )
    conditional = {
        "address": (1.0, 0.5, 0.3, 0.05, 0.1, 0.3),
        "national_id": (1.0, 0.9, 0.02, 0.02, 0.05),
    }
    return [
        base,
        dataclasses.replace(base, frequencies=frequencies),
        dataclasses.replace(base, u_given=conditional, prior=0.0005),
    ]


@settings(max_examples=400, deadline=None)
@given(
    _profiles,
    _profiles,
    st.sampled_from([0.0, 1e-9, 0.001, 0.05, 0.5, 0.9, 0.999999, 1.0, None]),
)
def test_reaches_is_the_probability_compared_with_the_threshold(
    fields_a: dict[str, str], fields_b: dict[str, str], threshold: float | None
) -> None:
    """The early-out decision equals scoring the pair in full, at every threshold and at
    the pair's own probability (the edge)."""
    a = profile("k|a", **{k: v for k, v in fields_a.items() if v})
    b = profile("k|b", **{k: v for k, v in fields_b.items() if v})
    for model in _models_to_bound():
        p = model.probability(a, b)
        for t in (p, threshold) if threshold is not None else (p,):
            assert model.reaches(a, b, t) is (p >= t), (model.version, t, p)


def test_reaches_rules_out_most_unlike_pairs_before_comparing_names() -> None:
    """A pair apart on its national id and birth date cannot reach 0.05 whatever its names
    say: it is ruled out before the name alignments run (a name level would raise)."""
    model = default_model()
    a = profile(
        "k|a", first_name="ann", last_name="lee", national_id="123456", birth_date="19800101"
    )
    b = profile(
        "k|b", first_name="ann", last_name="lee", national_id="987654", birth_date="19751231"
    )
    assert model.probability(a, b) < 0.05

    class Unlevelled(dict[str, str]):
        def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
            if name in ("first_name", "last_name"):
                raise AssertionError("names levelled although the pair was already out")
            return super().get(name, default)

    hidden = MatchProfile(a.key, Unlevelled(a.fields), a.identifiers)
    assert model.reaches(hidden, b, 0.05) is False
    assert model.reaches(a, b, model.probability(a, b)) is True
