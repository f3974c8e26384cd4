"""Estimating m, u and the prior from the data, as Splink does.

* :func:`estimate_u_random` -- ``u`` from random record pairs: nearly all of them are
  non-matches, so the share of random pairs in each level is that level's ``u``.
* :func:`fit_em` -- expectation-maximisation over the comparison vectors of candidate
  pairs, without labels: the prior and ``m`` (and ``u`` unless it is held fixed).
* :func:`fit_labelled` -- counts from pairs a person has labelled.

``ModelLifecycle.fit`` (``app/model_lifecycle``, ``idgraph model fit``) is the one path
that fits a model from a graph: it takes ``u`` from random pairs (and the address's
conditional ``u`` from random pairs sharing a surname), the prior and ``m`` by EM with
that ``u`` held fixed (EM left free to move ``u`` too tends to learn "same household" as
its match class), and the term frequencies counted in the graph.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence

from app.core.errors import InvalidInputError
from app.engine.matching.blocking import possible_pairs
from app.engine.matching.comparisons import DEFAULT_COMPARISONS, NULL_LEVEL, Comparison, compare
from app.engine.matching.model import (
    CONDITIONED_U,
    MatchModel,
    probability_from_weight,
    versioned,
)
from app.engine.matching.profiles import MatchProfile

PROBABILITY_FLOOR = 1e-6
"""Smallest m or u a fitted model keeps, so that no level has a weight of +-infinity."""


def _normalised(counts: Sequence[float], floor: float) -> tuple[float, ...]:
    """Index 0 kept at 1.0; levels 1.. floored then scaled to sum to 1."""
    total = sum(counts[1:])
    if total <= 0.0:
        shares = [1.0 / (len(counts) - 1)] * (len(counts) - 1)
    else:
        shares = [max(c / total, floor) for c in counts[1:]]
    scale = sum(shares)
    return (1.0, *(s / scale for s in shares))


def _patterns(
    pairs_gamma: Sequence[Sequence[int]], comparisons: Sequence[Comparison]
) -> list[tuple[tuple[int, ...], int]]:
    """Distinct comparison vectors with their counts, sorted (so sums are deterministic)."""
    counts = Counter(tuple(gamma) for gamma in pairs_gamma)
    sizes = [len(c.labels) for c in comparisons]
    for gamma in counts:
        if len(gamma) != len(sizes) or any(
            not 0 <= level < size for level, size in zip(gamma, sizes, strict=True)
        ):
            raise InvalidInputError(f"comparison vector {gamma} does not fit the comparisons")
    return sorted(counts.items())


def fit_em(
    pairs_gamma: Sequence[Sequence[int]],
    start: MatchModel,
    max_iterations: int = 100,
    tolerance: float = 1e-6,
    fixed_u: bool = False,
    fixed_m: bool = False,
    ignore: frozenset[str] = frozenset(),
) -> MatchModel:
    """Estimates prior, m and u by expectation-maximisation, without labels.

    Each iteration (E) gives every candidate pair its match probability under the current
    parameters, then (M) sets the prior to the mean probability and each m (u) to the
    probability-weighted (one-minus-probability-weighted) share of pairs in each level.
    Null levels are left out of the m/u updates. Probabilities are floored at
    :data:`PROBABILITY_FLOOR` so no level gets a weight of +-infinity. Iteration stops when
    no parameter moves by more than ``tolerance``. The result is deterministic.

    EM cannot tell which of its two classes is "match"; the match class is taken to be the
    one whose m puts more mass on the ``exact`` levels, and the classes are swapped if the
    fit ended the other way round.

    Args:
        pairs_gamma: Comparison vectors of the candidate pairs.
        start: The starting parameters and the comparisons.
        max_iterations: Iteration cap.
        tolerance: Largest parameter change still counted as movement.
        fixed_u: Keep ``start.u`` (estimated from random pairs) and fit only the prior and
            ``m``, as Splink does.
        fixed_m: Keep ``start.m`` (with ``fixed_u`` as well, only the prior moves).
        ignore: Comparisons left out of the likelihood and kept as they are: those a
            training session selected its pairs on (Splink's blocked comparisons).

    Returns:
        The fitted model (method ``"em"``, version ``"em-<hash of parameters>"``).

    Raises:
        InvalidInputError: If there are no pairs or a vector does not fit the comparisons.
    """
    comparisons = start.comparisons
    patterns = _patterns(pairs_gamma, comparisons)
    if not patterns:
        raise InvalidInputError("EM needs at least one candidate pair")
    total = float(sum(count for _, count in patterns))
    names = [c.name for c in comparisons]
    used = [c.name not in ignore for c in comparisons]
    prior = start.prior
    m = {name: tuple(start.m[name]) for name in names}
    u = {name: tuple(start.u[name]) for name in names}
    # the conditional u (CONDITIONED_U) is kept as it is and used where its condition holds
    conditions = [
        (names.index(CONDITIONED_U[name]), comparisons[names.index(CONDITIONED_U[name])].top_level)
        if name in start.u_given
        else None
        for name in names
    ]
    log_u_given = [
        [0.0] + [math.log(v) for v in start.u_given[name][1:]] if name in start.u_given else []
        for name in names
    ]
    for _ in range(max_iterations):
        log_m = [[0.0] + [math.log(v) for v in m[name][1:]] for name in names]
        log_u = [[0.0] + [math.log(v) for v in u[name][1:]] for name in names]
        log_odds_prior = math.log(prior) - math.log1p(-prior)
        m_counts = [[0.0] * len(c.labels) for c in comparisons]
        u_counts = [[0.0] * len(c.labels) for c in comparisons]
        match_total = 0.0
        for gamma, count in patterns:
            log_odds = log_odds_prior
            for k, level in enumerate(gamma):
                if level != NULL_LEVEL and used[k]:
                    cond = conditions[k]
                    chance = log_u_given[k] if cond and gamma[cond[0]] == cond[1] else log_u[k]
                    log_odds += log_m[k][level] - chance[level]
            p = probability_from_weight(log_odds / math.log(2.0))
            match_total += count * p
            for k, level in enumerate(gamma):
                if level != NULL_LEVEL:
                    m_counts[k][level] += count * p
                    u_counts[k][level] += count * (1.0 - p)
        new_prior = min(max(match_total / total, PROBABILITY_FLOOR), 1.0 - PROBABILITY_FLOOR)
        new_m = {}
        new_u = {}
        for k, name in enumerate(names):
            empty = sum(m_counts[k][1:]) + sum(u_counts[k][1:]) == 0.0  # always null
            if empty or not used[k]:
                new_m[name], new_u[name] = m[name], u[name]
                continue
            new_m[name] = m[name] if fixed_m else _normalised(m_counts[k], PROBABILITY_FLOOR)
            new_u[name] = u[name] if fixed_u else _normalised(u_counts[k], PROBABILITY_FLOOR)
        change = abs(new_prior - prior)
        for name in names:
            for old, new in zip(m[name] + u[name], new_m[name] + new_u[name], strict=True):
                change = max(change, abs(new - old))
        prior, m, u = new_prior, new_m, new_u
        if change <= tolerance:
            break
    match_top = sum(m[c.name][c.top_level] for c in comparisons)
    non_match_top = sum(u[c.name][c.top_level] for c in comparisons)
    if match_top < non_match_top and not fixed_u and not fixed_m:
        prior, m, u = 1.0 - prior, u, m
    model = MatchModel(
        version="em",
        prior=prior,
        comparisons=comparisons,
        m=m,
        u=u,
        method="em",
        frequencies=start.frequencies,
        u_given=dict(start.u_given),
    )
    return versioned(model, "em")


def fit_labelled(
    pairs_gamma: Sequence[Sequence[int]],
    labels: Sequence[bool],
    comparisons: Sequence[Comparison] = DEFAULT_COMPARISONS,
    smoothing: float = 1.0,
) -> MatchModel:
    """Counts prior, m and u from pairs labelled match (True) or non-match (False).

    With additive smoothing ``s``: ``m[level] = (matches in level + s) / (non-null matches
    + s * levels)`` over the non-null levels, u likewise over non-matches, and
    ``prior = (matches + s) / (pairs + 2 s)``. Probabilities are floored at
    :data:`PROBABILITY_FLOOR` (this matters only with ``smoothing=0``).

    Args:
        pairs_gamma: Comparison vectors of the labelled pairs.
        labels: One label per vector.
        comparisons: The comparisons the vectors were made with.
        smoothing: The pseudo-count added to every level (and to both classes for the prior).

    Returns:
        The model (method ``"labels"``, version ``"labels-<hash of parameters>"``).

    Raises:
        InvalidInputError: If the lengths differ, a vector does not fit, or smoothing is
            zero and a class (or a field within it) has no pair.
    """
    comparisons = tuple(comparisons)
    if len(pairs_gamma) != len(labels):
        raise InvalidInputError("one label per comparison vector is needed")
    _patterns(pairs_gamma, comparisons)  # validates the vectors
    m_counts = [[0.0] * len(c.labels) for c in comparisons]
    u_counts = [[0.0] * len(c.labels) for c in comparisons]
    matches = 0
    for gamma, is_match in zip(pairs_gamma, labels, strict=True):
        matches += bool(is_match)
        counts = m_counts if is_match else u_counts
        for k, level in enumerate(gamma):
            if level != NULL_LEVEL:
                counts[k][level] += 1.0

    def smoothed(counts: list[float]) -> tuple[float, ...]:
        levels = len(counts) - 1
        total = sum(counts[1:]) + smoothing * levels
        if total <= 0.0:
            raise InvalidInputError("a field has no labelled pair; use smoothing > 0")
        return _normalised([c + smoothing for c in counts], PROBABILITY_FLOOR)

    m = {c.name: smoothed(m_counts[k]) for k, c in enumerate(comparisons)}
    u = {c.name: smoothed(u_counts[k]) for k, c in enumerate(comparisons)}
    prior = (matches + smoothing) / (len(labels) + 2.0 * smoothing)
    model = MatchModel(
        version="labels", prior=prior, comparisons=comparisons, m=m, u=u, method="labels"
    )
    return versioned(model, "labels")


def _chance_levels(counts: Sequence[float]) -> tuple[float, ...]:
    """Sampled pairs per level as ``u``; a level no sampled pair reached counts one pair
    (a rare agreement, not an impossible one)."""
    return _normalised(
        [v if v > 0 or level == 0 else 1.0 for level, v in enumerate(counts)], PROBABILITY_FLOOR
    )


def estimate_u_random(
    profiles: Sequence[MatchProfile],
    start: MatchModel,
    max_pairs: int = 200_000,
    seed: int = 42,
) -> MatchModel:
    """``start`` with ``u`` estimated from random record pairs (seeded, reproducible).

    Two random records are almost never the same person, so the share of random pairs in
    each level estimates ``u`` directly, free of the blocking's bias (candidate pairs agree
    on something by construction). Levels no sampled pair reached keep a count of one pair
    (a rare agreement, not an impossible one).

    Args:
        profiles: The records' profiles.
        start: The model whose comparisons are used and whose other parameters are kept.
        max_pairs: How many random pairs to compare (all pairs if there are fewer).
        seed: The sampling seed.

    Returns:
        The model with the new ``u`` (version and method unchanged: callers fit on).

    Raises:
        InvalidInputError: If there are fewer than two profiles.
    """
    n = len(profiles)
    if n < 2:
        raise InvalidInputError("estimating u needs at least two records with attributes")
    ordered = sorted(profiles, key=lambda p: p.key)
    comparisons = start.comparisons
    counts = [[0.0] * len(c.labels) for c in comparisons]
    total_pairs = n * (n - 1) // 2
    rng = random.Random(seed)
    if total_pairs <= max_pairs:
        sample = ((i, j) for i in range(n) for j in range(i + 1, n))
    else:
        sample = ((i, j) for i, j in (rng.sample(range(n), 2) for _ in range(max_pairs)))
    for i, j in sample:
        for k, level in enumerate(compare(ordered[i], ordered[j], comparisons)):
            counts[k][level] += 1.0
    u = {c.name: _chance_levels(row) for c, row in zip(comparisons, counts, strict=True)}
    for c, row in zip(comparisons, counts, strict=True):
        if sum(row[1:]) == 0.0:  # never compared: keep the start's
            u[c.name] = tuple(start.u[c.name])
    return MatchModel(
        version=start.version,
        prior=start.prior,
        comparisons=comparisons,
        m=dict(start.m),
        u=u,
        method=start.method,
        frequencies=start.frequencies,
        u_given=dict(start.u_given),
    )


#: Pairs that agree at least this closely on one of these comparisons are left out of the
#: conditional u's sample, which must hold non-matches only: two records with the same
#: surname and first name are mostly one person, and so are two with the same surname and
#: birth date (up to a typo) whatever their first names (a nickname, a first name mistyped
#: or replaced); counting them would teach u how a person's own addresses agree. Family
#: members' first names and birth dates differ; strangers' agree by chance no more often
#: when their surnames agree. (On Febrl, which has no households, every same-surname pair
#: at one street address was one person whose first name had been replaced.)
CONDITIONED_U_EXCLUDES: tuple[tuple[str, int], ...] = (("first_name", 3), ("birth_date", 2))


def estimate_u_given(
    profiles: Sequence[MatchProfile],
    start: MatchModel,
    max_pairs: int = 200_000,
    seed: int = 43,
) -> MatchModel:
    """``start`` with the conditional ``u`` of each :data:`CONDITIONED_U` comparison.

    Estimated like ``u`` from random pairs, but among random pairs whose values of the
    condition's field are the same (the same surname: drawn within groups of records
    sharing it, each group in proportion to its number of pairs), and only those that
    land in the condition's top level and agree closely on neither the first name nor the
    birth date (:data:`CONDITIONED_U_EXCLUDES`). Levels no sampled pair reached keep a
    count of one; with fewer than :data:`MIN_SESSION_PAIRS` such pairs the comparison gets
    no conditional u.
    """
    names = [c.name for c in start.comparisons]
    excluded = [(names.index(n), level) for n, level in CONDITIONED_U_EXCLUDES if n in names]
    u_given = dict(start.u_given)
    rng = random.Random(seed)
    for name, given in sorted(CONDITIONED_U.items()):
        if name not in names or given not in names:
            continue
        k, g = names.index(name), names.index(given)
        top = start.comparisons[g].top_level
        groups: dict[str, list[MatchProfile]] = {}
        for profile in sorted(profiles, key=lambda p: p.key):
            value = profile.fields.get(given)
            if value:
                groups.setdefault(value, []).append(profile)
        sizes = [(len(group) * (len(group) - 1)) // 2 for group in groups.values()]
        total = sum(sizes)
        if total == 0:
            continue
        members = list(groups.values())
        if total <= max_pairs:
            sample: Iterable[tuple[MatchProfile, MatchProfile]] = (
                (group[i], group[j])
                for group in members
                for i in range(len(group))
                for j in range(i + 1, len(group))
            )
        else:
            chosen = rng.choices(range(len(members)), weights=sizes, k=max_pairs)
            sample = (tuple(rng.sample(members[c], 2)) for c in chosen)  # type: ignore[misc]
        counts = [0.0] * len(start.comparisons[k].labels)
        for a, b in sample:
            gamma = compare(a, b, start.comparisons)
            if gamma[g] != top:
                continue
            if any(gamma[index] >= level for index, level in excluded):
                continue
            counts[gamma[k]] += 1.0
        if sum(counts[1:]) < MIN_SESSION_PAIRS:
            continue
        u_given[name] = _chance_levels(counts)
    return dataclasses.replace(start, u_given=u_given)


#: Splink-style training sessions: each EM runs over the candidate pairs that agree exactly
#: on the named comparisons and estimates ``m`` of the others. Pairs agreeing on a birth
#: date are mostly the same person (households and care homes do not share birth dates),
#: so that session learns how names and addresses of one person vary; pairs agreeing on
#: both names learn how birth dates, addresses and ids vary.
TRAINING_SESSIONS: tuple[tuple[str, ...], ...] = (("birth_date",), ("first_name", "last_name"))
#: A session with fewer pairs, or fewer expected matches, than this is skipped.
MIN_SESSION_PAIRS = 20


def fit_unsupervised(
    profiles: Sequence[MatchProfile],
    candidate_gammas: Sequence[Sequence[int]],
    start: MatchModel,
    max_pairs: int = 200_000,
    seed: int = 42,
    one_per_person: frozenset[str] = frozenset(),
) -> MatchModel:
    """The unsupervised fit of ``idgraph model fit``, in Splink's order.

    1. ``u`` from random pairs (:func:`estimate_u_random`);
    2. ``m`` by EM in the :data:`TRAINING_SESSIONS`, ``u`` held fixed; each comparison's
       ``m`` is the mean of the sessions that estimated it, weighted by the matches each
       session found (the start's if none did).
       One EM over all candidate pairs would not do: candidates are chosen for agreeing on
       something, and pairs of one household (same surname, same address) outnumber the
       true matches, so EM's "match" class would learn households;
    3. the share of matches among candidate pairs by EM with ``m`` and ``u`` fixed, restated
       for the frame ``u`` lives in: matches expected among candidates over all pairs of
       records that could be one person (``share * candidates / possible pairs``: all
       ``n (n - 1) / 2`` pairs but those inside a source in ``one_per_person``, which lists
       everyone once; Splink's ``link_only`` frame), so that ``prior * m / u`` is the odds
       of a match for any pair that can match.

    The term frequencies of ``start`` are kept (they were counted in the graph).

    Raises:
        InvalidInputError: If there are fewer than two profiles or no candidate pair.
    """
    if not candidate_gammas:
        raise InvalidInputError("EM needs at least one candidate pair")
    with_u = estimate_u_random(profiles, start, max_pairs=max_pairs, seed=seed)
    with_u = estimate_u_given(profiles, with_u, max_pairs=max_pairs, seed=seed + 1)
    comparisons = with_u.comparisons
    index = {c.name: k for k, c in enumerate(comparisons)}
    estimates: dict[str, list[tuple[float, tuple[float, ...]]]] = {c.name: [] for c in comparisons}
    session_start = dataclasses.replace(with_u, prior=0.5)
    for session in TRAINING_SESSIONS:
        if any(name not in index for name in session):
            continue
        selected = [
            gamma
            for gamma in candidate_gammas
            if all(gamma[index[n]] == comparisons[index[n]].top_level for n in session)
        ]
        if len(selected) < MIN_SESSION_PAIRS:
            continue
        trained = fit_em(selected, session_start, fixed_u=True, ignore=frozenset(session))
        learned = [c for c in comparisons if c.name not in session]
        if (
            sum(trained.m[c.name][c.top_level] - trained.u[c.name][c.top_level] for c in learned)
            <= 0
        ):
            continue  # its "match" class does not agree more than chance: no matches found
        matches = trained.prior * len(selected)
        if matches < MIN_SESSION_PAIRS:
            continue  # too few matches to say how matches vary
        for c in comparisons:
            if c.name not in session:
                estimates[c.name].append((matches, tuple(trained.m[c.name])))
    m = {
        name: _weighted_mean(values) if values else tuple(with_u.m[name])
        for name, values in estimates.items()
    }
    with_m = dataclasses.replace(with_u, m=m, prior=start.prior)
    # u stays the random pairs' u: re-estimated on candidates it would learn that pairs
    # blocked on a surname agree on it (u of an exact surname 0.15 instead of 0.001),
    # and every agreement a block selects for would count for little.
    share = fit_em(candidate_gammas, with_m, fixed_u=True, fixed_m=True).prior
    frame = possible_pairs([p.key for p in profiles], one_per_person)
    prior = min(max(share * len(candidate_gammas) / max(frame, 1.0), PROBABILITY_FLOOR), 0.5)
    model = dataclasses.replace(with_m, prior=prior, method="em", frequencies=start.frequencies)
    return versioned(model, "em")


def _weighted_mean(rows: Sequence[tuple[float, tuple[float, ...]]]) -> tuple[float, ...]:
    """Per level, the mean of the sessions' estimates weighted by their expected matches
    (a session that found few matches says little about how matches vary)."""
    total = sum(weight for weight, _ in rows)
    if total <= 0.0:
        return tuple(sum(v) / len(rows) for v in zip(*(m for _, m in rows), strict=True))
    return tuple(
        sum(weight * m[level] for weight, m in rows) / total for level in range(len(rows[0][1]))
    )
