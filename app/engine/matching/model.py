"""The Fellegi-Sunter model: prior, m and u per comparison level, term frequencies.

**m and u.** For each comparison and level the model holds two probabilities: ``m``, how
often a *true match* lands in this level (typos make even true matches miss ``exact`` now
and then), and ``u``, how often a *non-match* lands in it among candidate pairs. Their
ratio ``m / u`` is the level's *Bayes factor*; its log2 is the level's *match weight*.
A missing field (``null``) is neutral (weight 0).

**Match probability.** The model starts from a *prior* (lambda): the share of candidate
pairs that are matches. A pair's match weight is ``log2(prior / (1 - prior))`` plus the
weights of its levels plus the term-frequency adjustments of the values it agreed on
(:mod:`app.engine.matching.frequencies`), and its match probability is
``1 / (1 + 2**-weight)``. Comparisons are assumed independent given the match status;
fields that are not (the parts of one address) are one comparison.

**Conditional u.** Some dependences are too strong to assume away and are not one
place: family members share a surname *and* an address, and in administrative data a
surname *and* a national id (a W-2 filed under a spouse's or parent's number, a child
claimed under a parent's). Among two people with the same surname, the same address or
the same id is far more common (a household) than the coincidence it is between two
strangers, so counting both agreements as independent evidence adds up a household into
one person. A fitted model therefore keeps a second ``u`` for the comparisons in
:data:`CONDITIONED_U` (``address`` and ``national_id``, each given ``last_name``),
estimated from non-matching pairs that agree on the surname, and uses it for a pair whose
surnames agree exactly: ``P(address | surname, non-match)`` instead of
``P(address | non-match)``. Where families share neither (Febrl), the estimate comes out
close to the plain ``u`` and changes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from app.core.errors import InvalidInputError
from app.engine.matching.comparisons import (
    DEFAULT_COMPARISONS,
    NULL_LEVEL,
    Comparison,
    Fields,
    compare,
    name_levels,
    similarities,
)
from app.engine.matching.frequencies import TermFrequencies
from app.engine.matching.profiles import MatchProfile

#: comparison -> the comparison its chance agreement depends on (see the module docstring).
#: The second ``u`` of the first (:attr:`MatchModel.u_given`) applies when the second is at
#: its top level.
CONDITIONED_U: Mapping[str, str] = {"address": "last_name", "national_id": "last_name"}

_MAX_PROBABILITY = 1.0 - 2.0**-53  # the largest float below 1
_MIN_PROBABILITY = 2.0**-1022  # the smallest normal float above 0
#: One comparison in :meth:`MatchModel.reaches`: index, per-level upper weights (then
#: their maximum), leveller (None for the names, levelled together), name index.
_Bound = tuple[int, tuple[float, ...], Callable[[Fields, Fields], int] | None, int]
#: Bits by which a pair's upper bound must miss before :meth:`MatchModel.reaches` rules it
#: out without scoring it fully.
_BOUND_MARGIN = 1e-6


def probability_from_weight(weight: float) -> float:
    """``1 / (1 + 2**-weight)`` without overflow, kept strictly inside (0, 1)."""
    if weight >= 0:
        p = 1.0 / (1.0 + 2.0**-weight)
    else:
        z = 2.0**weight
        p = z / (1.0 + z)
    return min(max(p, _MIN_PROBABILITY), _MAX_PROBABILITY)


@dataclass(frozen=True)
class FieldEvidence:
    """What one comparison says about a pair.

    Attributes:
        field: The comparison name.
        level: The level the pair landed in.
        label: The level's label, e.g. ``"jw>=0.92"``.
        similarity: The raw similarity, None if the field is null.
        bayes_factor: ``m / u`` of the level (1 for null).
        match_weight: ``log2(bayes_factor)`` plus the term-frequency adjustment.
        tf_adjustment: Bits the agreed value's frequency added (negative: a common value).
    """

    field: str
    level: int
    label: str
    similarity: float | None
    bayes_factor: float
    match_weight: float
    tf_adjustment: float = 0.0


@dataclass(frozen=True)
class ScoredPair:
    """A compared and scored pair of records.

    Attributes:
        a: The smaller record key.
        b: The larger record key.
        gamma: The comparison vector.
        match_weight: log2 odds of a match, prior and adjustments included.
        match_probability: The probability of a match.
        fields: The evidence of each comparison, in order.
    """

    a: str
    b: str
    gamma: tuple[int, ...]
    match_weight: float
    match_probability: float
    fields: tuple[FieldEvidence, ...]

    def comparison_json(self) -> str:
        """Compact JSON of the non-null fields, sorted keys, numbers rounded to 4 places.

        Example: ``{"last_name":{"level":"exact","similarity":1.0,"tf":-2.1,"weight":1.3}}``
        (``tf`` only where a term-frequency adjustment applied; ``weight`` includes it).
        """
        body: dict[str, dict[str, object]] = {}
        for evidence in self.fields:
            if evidence.level == NULL_LEVEL:
                continue
            entry: dict[str, object] = {
                "level": evidence.label,
                "similarity": None
                if evidence.similarity is None
                else round(evidence.similarity, 4),
                "weight": round(evidence.match_weight, 4),
            }
            if evidence.tf_adjustment:
                entry["tf"] = round(evidence.tf_adjustment, 4)
            body[evidence.field] = entry
        return json.dumps(body, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class MatchModel:
    """A Fellegi-Sunter model: prior, m and u per comparison and level, term frequencies.

    Attributes:
        version: Names the parameters, e.g. ``"default-3"`` or ``"em-<hash>"``.
        prior: The probability that a candidate pair is a match (lambda).
        comparisons: The comparisons.
        m: Per comparison, per level, P(level | match); index 0 (null) is unused and 1.0.
        u: Per comparison, per level, P(level | non-match); index 0 likewise.
        method: How the parameters were set: ``"default"``, ``"em"``, ``"labels"`` or
            ``"manual"``.
        frequencies: Term frequencies frozen at fit time (None: no adjustment).
        u_given: Per comparison of :data:`CONDITIONED_U`, per level, P(level | non-match,
            the condition's comparison at its top level); empty: no conditional u (the
            built-in model), and ``u`` applies to every pair.
    """

    version: str
    prior: float
    comparisons: tuple[Comparison, ...]
    m: Mapping[str, tuple[float, ...]]
    u: Mapping[str, tuple[float, ...]]
    method: str
    frequencies: TermFrequencies | None = None
    u_given: Mapping[str, tuple[float, ...]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 < self.prior < 1.0:
            raise InvalidInputError(f"prior must be in (0, 1), got {self.prior}")
        for c in self.comparisons:
            for table, name in ((self.m, "m"), (self.u, "u")):
                values = table.get(c.name)
                if values is None or len(values) != len(c.labels):
                    raise InvalidInputError(
                        f"{name} of {c.name!r} needs {len(c.labels)} values "
                        f"(levels {', '.join(c.labels)})"
                    )
                if any(not 0.0 < v <= 1.0 for v in values[1:]):
                    raise InvalidInputError(f"{name} of {c.name!r} must be in (0, 1]")
        names = {c.name for c in self.comparisons}
        for name, values in self.u_given.items():
            if CONDITIONED_U.get(name) not in names or name not in names:
                raise InvalidInputError(
                    f"u_given of {name!r}: only {sorted(CONDITIONED_U)} have a conditional u, "
                    "with their condition among the comparisons"
                )
            levels = next(c.labels for c in self.comparisons if c.name == name)
            if len(values) != len(levels) or any(not 0.0 < v <= 1.0 for v in values[1:]):
                raise InvalidInputError(
                    f"u_given of {name!r} needs {len(levels)} values in (0, 1] after the first"
                )

    @cached_property
    def _conditions(self) -> tuple[tuple[int, int, tuple[float, ...]] | None, ...]:
        """Per comparison: ``(index of its condition, the condition's top level, the level
        weights with the conditional u)``, or None."""
        index = {c.name: k for k, c in enumerate(self.comparisons)}
        out: list[tuple[int, int, tuple[float, ...]] | None] = []
        for c in self.comparisons:
            given = self.u_given.get(c.name)
            if given is None:
                out.append(None)
                continue
            k = index[CONDITIONED_U[c.name]]
            weights = (
                0.0,
                *(math.log2(m / u) for m, u in zip(self.m[c.name][1:], given[1:], strict=True)),
            )
            out.append((k, self.comparisons[k].top_level, weights))
        return tuple(out)

    def level_weights(self, gamma: Sequence[int]) -> tuple[tuple[float, ...], ...]:
        """Per comparison, the level weights that apply to the pair ``gamma``: the
        conditional ones where a :data:`CONDITIONED_U` condition holds."""
        if not self.u_given:
            return self._level_weights
        return tuple(
            weights if cond is None or gamma[cond[0]] != cond[1] else cond[2]
            for weights, cond in zip(self._level_weights, self._conditions, strict=True)
        )

    @cached_property
    def _level_weights(self) -> tuple[tuple[float, ...], ...]:
        return tuple(
            (
                0.0,
                *(
                    math.log2(m / u)
                    for m, u in zip(self.m[c.name][1:], self.u[c.name][1:], strict=True)
                ),
            )
            for c in self.comparisons
        )

    @cached_property
    def prior_weight(self) -> float:
        """``log2(prior / (1 - prior))``."""
        return math.log2(self.prior / (1.0 - self.prior))

    def adjustments(
        self, a: MatchProfile, b: MatchProfile, gamma: Sequence[int]
    ) -> tuple[float, ...]:
        """Term-frequency bits per comparison (0 where none applies)."""
        frequencies = self.frequencies
        if frequencies is None:
            return (0.0,) * len(gamma)
        out = []
        for comparison, level in zip(self.comparisons, gamma, strict=True):
            term = comparison.term_of(level, a.fields, b.fields)
            out.append(0.0 if term is None else frequencies.adjustment(*term))
        return tuple(out)

    def score(
        self, gamma: Sequence[int], adjustments: Sequence[float] | None = None
    ) -> tuple[float, float]:
        """``(match_weight, match_probability)`` of a comparison vector (and its
        term-frequency adjustments, if any)."""
        weight = self.prior_weight
        for weights, level in zip(self.level_weights(gamma), gamma, strict=True):
            weight += weights[level]
        if adjustments is not None:
            weight += sum(adjustments)
        return weight, probability_from_weight(weight)

    def probability(self, a: MatchProfile, b: MatchProfile) -> float:
        """The match probability of two profiles (the cheap path: no explanation)."""
        gamma = compare(a, b, self.comparisons)
        return self.score(gamma, self.adjustments(a, b, gamma))[1]

    def reaches(self, a: MatchProfile, b: MatchProfile, min_probability: float) -> bool:
        """Whether ``probability(a, b) >= min_probability``, comparing no more than it takes.

        Comparisons are levelled most telling first (:attr:`_bounds`); after each, the
        weight of the levels known plus the most every other comparison could add is an
        upper bound of the pair's weight (term-frequency adjustments only ever lower it).
        Once that bound falls short of ``min_probability`` the pair is out, the remaining
        comparisons (the costly name alignments, most often) never run. A pair never
        ruled out is scored exactly as :meth:`probability` scores it, so the answer is
        :meth:`probability`'s. Most candidate pairs share a block and little else: they
        are ruled out after one or two comparisons.
        """
        if min_probability <= 0.0:
            return True
        if min_probability >= 1.0:
            return self.probability(a, b) >= min_probability
        needed = math.log2(min_probability / (1.0 - min_probability)) - self.prior_weight
        # near 1 a probability pins its weight down only to ~ulp / (1 - p) bits
        margin = _BOUND_MARGIN + 1e-14 / (1.0 - min_probability)
        fa, fb = a.fields, b.fields
        names: tuple[int, int] | None = None
        gamma = [NULL_LEVEL] * len(self.comparisons)
        room = self._most_added
        for index, upper, level_of, name_index in self._bounds:
            if level_of is None:  # first or last name: both levelled at once
                if names is None:
                    names = name_levels(fa, fb)
                level = names[name_index]
            else:
                level = level_of(fa, fb)
            gamma[index] = level
            room += upper[level] - upper[-1]
            # a margin far above float rounding: only clear misses are ruled out early
            if room < needed - margin:
                return False
        return self.score(gamma, self.adjustments(a, b, gamma))[1] >= min_probability

    @cached_property
    def _bounds(self) -> tuple[_Bound, ...]:
        """Per comparison, most telling first: ``(its index, per level the most weight the
        level can carry (conditional u included) then the most of any level, its
        leveller (None for first and last name, levelled together), its name index)``."""
        bounds: list[_Bound] = []
        for index, weights in enumerate(self._level_weights):
            cond = self._conditions[index]
            upper = tuple(
                max(w, cond[2][level]) if cond is not None else w for level, w in enumerate(weights)
            )
            c = self.comparisons[index]
            level_of = None if c.names_together else c.leveller
            bounds.append((index, (*upper, max(upper)), level_of, c.name_index))
        bounds.sort(key=lambda b: (-b[1][-1], b[0]))
        return tuple(bounds)

    @cached_property
    def _most_added(self) -> float:
        """The most weight all comparisons together can add to the prior's."""
        return sum(bound[1][-1] for bound in self._bounds)

    def score_pair(self, a: MatchProfile, b: MatchProfile) -> ScoredPair:
        """Compares, scores and explains two profiles (the pair is ordered by key)."""
        if b.key < a.key:
            a, b = b, a
        gamma = compare(a, b, self.comparisons)
        sims = similarities(a, b, self.comparisons)
        adjustments = self.adjustments(a, b, gamma)
        weight, probability = self.score(gamma, adjustments)
        evidence = tuple(
            FieldEvidence(
                field=c.name,
                level=level,
                label=c.labels[level],
                similarity=sim,
                bayes_factor=2.0 ** weights[level],
                match_weight=weights[level] + adjustment,
                tf_adjustment=adjustment,
            )
            for c, level, sim, weights, adjustment in zip(
                self.comparisons, gamma, sims, self.level_weights(gamma), adjustments, strict=True
            )
        )
        return ScoredPair(a.key, b.key, gamma, weight, probability, evidence)

    def _parameters(self) -> dict[str, object]:
        body: dict[str, object] = {
            "prior": self.prior,
            "comparisons": [
                {"name": c.name, "method": c.method, "term_frequencies": c.term_frequencies}
                for c in self.comparisons
            ],
            "m": {c.name: list(self.m[c.name]) for c in self.comparisons},
            "u": {c.name: list(self.u[c.name]) for c in self.comparisons},
        }
        if self.frequencies is not None:
            body["frequencies"] = self.frequencies.to_body()
        if self.u_given:
            body["u_given"] = {
                name: {"given": CONDITIONED_U[name], "u": list(values)}
                for name, values in sorted(self.u_given.items())
            }
        return body

    def to_json(self) -> str:
        """The model as JSON (floats kept exactly, so scores survive a round trip)."""
        body = {"version": self.version, "method": self.method, **self._parameters()}
        return json.dumps(body, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MatchModel:
        """Reads a model written by :meth:`to_json`.

        Raises:
            InvalidInputError: If the text is not a valid model.
        """
        try:
            body = json.loads(text)
            comparisons = tuple(
                Comparison(c["name"], c["method"], bool(c.get("term_frequencies", False)))
                for c in body["comparisons"]
            )
            frequencies = body.get("frequencies")
            u_given = {}
            for name, entry in body.get("u_given", {}).items():
                if entry["given"] != CONDITIONED_U.get(name):
                    raise ValueError(f"u_given of {name!r} must be given {CONDITIONED_U.get(name)}")
                u_given[name] = tuple(float(v) for v in entry["u"])
            return cls(
                version=str(body["version"]),
                prior=float(body["prior"]),
                comparisons=comparisons,
                m={name: tuple(float(v) for v in values) for name, values in body["m"].items()},
                u={name: tuple(float(v) for v in values) for name, values in body["u"].items()},
                method=str(body["method"]),
                frequencies=None if frequencies is None else TermFrequencies.from_body(frequencies),
                u_given=u_given,
            )
        except (ValueError, KeyError, TypeError, AssertionError, AttributeError) as error:
            raise InvalidInputError(f"not a match model: {error}") from error

    def describe(self) -> list[dict[str, object]]:
        """Rows ``field, level, label, m, u, bayes_factor, match_weight`` for a table.

        The null level is left out: it always has a Bayes factor of 1.
        """
        rows: list[dict[str, object]] = []
        for c, weights in zip(self.comparisons, self._level_weights, strict=True):
            for level in range(1, len(c.labels)):
                rows.append(
                    {
                        "field": c.name,
                        "level": level,
                        "label": c.labels[level],
                        "m": self.m[c.name][level],
                        "u": self.u[c.name][level],
                        "bayes_factor": 2.0 ** weights[level],
                        "match_weight": weights[level],
                    }
                )
        for c, cond in zip(self.comparisons, self._conditions, strict=True):
            if cond is None:
                continue
            given = f"{self.comparisons[cond[0]].name} {self.comparisons[cond[0]].labels[cond[1]]}"
            for level in range(1, len(c.labels)):
                rows.append(
                    {
                        "field": c.name,
                        "level": level,
                        "label": f"{c.labels[level]} | {given}",
                        "m": self.m[c.name][level],
                        "u": self.u_given[c.name][level],
                        "bayes_factor": 2.0 ** cond[2][level],
                        "match_weight": cond[2][level],
                    }
                )
        return rows


def parameter_hash(model_body: Mapping[str, object]) -> str:
    """12 hex characters naming a model's parameters (prior, comparisons, m, u, frequencies)."""
    text = json.dumps(model_body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def versioned(model: MatchModel, method: str) -> MatchModel:
    """``model`` named ``<method>-<hash of its parameters>``."""
    digest = parameter_hash(model._parameters())
    return dataclasses.replace(model, version=f"{method}-{digest}", method=method)


def manual_model(model: MatchModel) -> MatchModel:
    """A hand-set model (``idgraph model load``), versioned by its parameters
    (``manual-<hash>``) so that any change of m, u, prior or frequencies is a new version."""
    return versioned(model, "manual")


# Hand-set m/u per comparison (index = level: null, else, <weakest> ... exact). They are
# deliberately cautious, because they score *candidate* pairs, which already share a
# blocking key: among candidates, two different people agree on a name far more often
# than two random people do. So names alone never reach the join threshold (first and
# last name exact give +6.4 bits against a prior of -6.6), one disagreeing email or phone
# outweighs a matching name, and a household (same surname and address, other first name
# and birth date) stays apart; a name plus a birth date, an address or a near-identical
# email is enough. ``idgraph model fit`` replaces them with values estimated from the data.
_DEFAULT_M: dict[str, tuple[float, ...]] = {
    "first_name": (1.0, 0.05, 0.05, 0.10, 0.80),
    "last_name": (1.0, 0.05, 0.05, 0.10, 0.80),
    "birth_date": (1.0, 0.05, 0.10, 0.85),
    # null, else, same_region, same_street, street_and_number, exact
    "address": (1.0, 0.03, 0.25, 0.05, 0.12, 0.55),
    "national_id": (1.0, 0.10, 0.05, 0.10, 0.75),
    # people have several emails and phones: a different one is weak evidence
    "email": (1.0, 0.20, 0.10, 0.70),
    "phone": (1.0, 0.20, 0.10, 0.70),
}
_DEFAULT_U: dict[str, tuple[float, ...]] = {
    "first_name": (1.0, 0.85, 0.07, 0.02, 0.10),
    "last_name": (1.0, 0.85, 0.06, 0.015, 0.075),
    "birth_date": (1.0, 0.97, 0.02, 0.01),
    "address": (1.0, 0.70, 0.25, 0.01, 0.02, 0.02),
    "national_id": (1.0, 0.9998, 0.00015, 0.00004, 0.00001),
    "email": (1.0, 0.998, 0.0019, 0.0001),
    "phone": (1.0, 0.998, 0.0019, 0.0001),
}
DEFAULT_PRIOR = 0.01
"""Share of candidate pairs (pairs sharing a blocking key) taken to be matches."""


def default_model() -> MatchModel:
    """The hand-set model for :data:`DEFAULT_COMPARISONS` (version ``"default-3"``), without
    term frequencies.

    Every comparison's Bayes factor rises with its level, so closer agreement never lowers
    the match probability.
    """
    return MatchModel(
        version="default-3",
        prior=DEFAULT_PRIOR,
        comparisons=DEFAULT_COMPARISONS,
        m=dict(_DEFAULT_M),
        u=dict(_DEFAULT_U),
        method="default",
    )
