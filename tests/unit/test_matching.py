"""Matching: profiles, comparison levels, blocking, Fellegi-Sunter scoring and estimation."""

from __future__ import annotations

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
    blocking_keys,
    candidate_pairs,
    compare,
    default_model,
    fit,
    fit_em,
    fit_labelled,
    profile_of,
    similarities,
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
        "address": "12 main st unit 4",
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
        ("birth_date", "19900417", "19900418", "lev<=1|day_month_swap"),
        ("birth_date", "19900412", "19901204", "lev<=1|day_month_swap"),
        ("birth_date", "19900417", "19911231", "else"),
        ("postcode", "2600", "2600", "exact"),
        ("postcode", "2600", "2601", "lev<=1"),
        ("postcode", "2600", "2611", "lev<=2"),
        ("postcode", "2600", "3111", "else"),
        ("address", "12 main st", "12 main st", "exact"),
        ("address", "12 main st", "12 main st unit 4", "token_set>=90"),
        ("address", "12 main street", "12 main st", "token_set>=70"),
        ("address", "12 main st", "7 ocean parade", "else"),
        ("email", "a.b@x.com", "a.b@x.com", "exact"),
        ("email", "john.smith@x.com", "johnsmith+shop@y.org", "same_local|lev<=2"),
        ("email", "jsmith@x.com", "jsmiht@x.com", "same_local|lev<=2"),
        ("email", "jsmith@x.com", "mary@y.org", "else"),
        ("phone", "5550123", "5550123", "exact"),
        ("phone", "5550123", "5550124", "lev<=1"),
        ("phone", "5550123", "5551234", "else"),
        ("state", "act", "act", "exact"),
        ("state", "act", "nsw", "else"),
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
    gamma = (4, 2, 3, 1, 0, 0, 0, 2, 0, 0, 0)
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
        MatchModel("x", 0.1, model.comparisons, {**model.m, "state": (1.0, 1.0)}, model.u, "x")
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


def test_fit_on_profiles_runs_em_over_candidate_pairs() -> None:
    rng = random.Random(4)
    originals = [_person(rng, f"org|{i:03d}") for i in range(200)]
    duplicates = []
    for i, original in enumerate(originals[:100]):
        fields = dict(original.fields)
        fields["last_name"] = _typo(rng, fields["last_name"])
        duplicates.append(profile(f"dup|{i:03d}", **fields))
    model = fit(originals + duplicates)
    assert model.method == "em"
    true_pair = model.score_pair(originals[0], duplicates[0])
    other = model.score_pair(originals[0], originals[1])
    assert true_pair.match_probability > 0.9
    assert other.match_probability < 0.1


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
