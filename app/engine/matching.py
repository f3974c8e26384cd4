"""Probabilistic record matching: are two customer records the same person?

This module follows the Fellegi-Sunter model, in the vocabulary of Splink.

**Comparisons and levels.** Two records are compared field by field (first name, last
name, birth date, postcode, ...). Each field comparison lands in one *level*: level 0
(``null``) when either record lacks the field, level 1 (``else``) when the values were
compared and disagree, and higher levels for ever closer agreement up to ``exact``. For a
name, for example, the levels are ``null``, ``else``, ``jw>=0.80`` (Jaro-Winkler
similarity at least 0.80), ``jw>=0.92`` and ``exact``. The list of levels of one pair is
its *comparison vector* (gamma).

**m and u.** For each field and level the model holds two probabilities:

* ``m`` -- how often a *true match* lands in this level (typos make even true matches
  miss ``exact`` now and then);
* ``u`` -- how often a *non-match* lands in this level by chance (two different people
  share a first name about 1% of the time).

Their ratio ``m / u`` is the level's *Bayes factor*: how much more likely the observation
is if the records match. Its log2 is the level's *match weight*: positive weights are
evidence for a match, negative ones against. A missing field (``null``) is neutral: it
contributes a Bayes factor of 1 (weight 0).

**Match probability.** The model starts from a *prior* (lambda): the share of candidate
pairs that are matches. The pair's match weight is ``log2(prior / (1 - prior))`` plus the
weights of its fields, and the match probability is
``prior * prod(m) / (prior * prod(m) + (1 - prior) * prod(u))``; both say the same thing on
different scales. Fields are assumed independent given the match status, which is the
model's main simplification.

**Blocking.** Comparing every record with every other grows with the square of the data,
so only *candidate pairs* are compared: pairs that share at least one *blocking key*, a
coarse code such as "same soundex of the surname and same birth year". Several keys are
used so that a duplicate with a typo in one or two fields still shares some key with its
original. Keys shared by very many records (a block larger than ``max_block``) are
skipped, as they would bring many pairs and little evidence. Pairs that already share an
identifier (same email or phone key) are linked exactly elsewhere and are not candidates.

**Estimating m, u and the prior.** :func:`default_model` holds hand-set values close to
Splink's typical ones. :func:`fit_em` estimates them without labels by
expectation-maximisation over the comparison vectors of candidate pairs, and
:func:`fit_labelled` counts them from pairs a person has labelled.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import jellyfish
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler, Levenshtein

from app.core.errors import InvalidInputError

NULL_LEVEL = 0  # either side missing: contributes a Bayes factor of 1
ELSE_LEVEL = 1  # compared, all agreement levels failed

PROBABILITY_FLOOR = 1e-6
"""Smallest m or u a fitted model keeps, so that no level has a weight of +-infinity."""

_MAX_PROBABILITY = 1.0 - 2.0**-53  # the largest float below 1
_MIN_PROBABILITY = 2.0**-1022  # the smallest normal float above 0

# ------------------------------------------------------------------------------ levels
# Each method: its level labels (index = level) and two functions of two cleaned,
# non-empty values: the level (hot path, uses score cutoffs) and a similarity in [0, 1]
# (for explanations).

LevelFn = Callable[[str, str], int]
SimilarityFn = Callable[[str, str], float]


def _name_level(a: str, b: str) -> int:
    if a == b:
        return 4
    jw = JaroWinkler.similarity(a, b, score_cutoff=0.80)
    if jw >= 0.92:
        return 3
    return 2 if jw >= 0.80 else ELSE_LEVEL


def _name_similarity(a: str, b: str) -> float:
    return float(JaroWinkler.similarity(a, b))


def _day_month_swapped(a: str, b: str) -> bool:
    return len(a) == 8 and len(b) == 8 and a[:4] == b[:4] and a[4:6] == b[6:] and a[6:] == b[4:6]


def _date_level(a: str, b: str) -> int:
    if a == b:
        return 3
    if Levenshtein.distance(a, b, score_cutoff=1) <= 1 or _day_month_swapped(a, b):
        return 2
    return ELSE_LEVEL


def _edit_similarity(a: str, b: str) -> float:
    return float(Levenshtein.normalized_similarity(a, b))


def _code_level(a: str, b: str) -> int:
    if a == b:
        return 4
    distance = Levenshtein.distance(a, b, score_cutoff=2)
    if distance <= 1:
        return 3
    return 2 if distance <= 2 else ELSE_LEVEL


def _address_level(a: str, b: str) -> int:
    if a == b:
        return 4
    ratio = fuzz.token_set_ratio(a, b, score_cutoff=70)
    if ratio >= 90:
        return 3
    return 2 if ratio >= 70 else ELSE_LEVEL


def _address_similarity(a: str, b: str) -> float:
    return float(fuzz.token_set_ratio(a, b)) / 100.0


def _email_level(a: str, b: str) -> int:
    if a == b:
        return 3
    if _email_local(a) == _email_local(b) or Levenshtein.distance(a, b, score_cutoff=2) <= 2:
        return 2
    return ELSE_LEVEL


def _phone_level(a: str, b: str) -> int:
    if a == b:
        return 3
    return 2 if Levenshtein.distance(a, b, score_cutoff=1) <= 1 else ELSE_LEVEL


def _exact_level(a: str, b: str) -> int:
    return 2 if a == b else ELSE_LEVEL


def _exact_similarity(a: str, b: str) -> float:
    return 1.0 if a == b else 0.0


_METHODS: dict[str, tuple[tuple[str, ...], LevelFn, SimilarityFn]] = {
    "name": (
        ("null", "else", "jw>=0.80", "jw>=0.92", "exact"),
        _name_level,
        _name_similarity,
    ),
    "date": (("null", "else", "lev<=1|day_month_swap", "exact"), _date_level, _edit_similarity),
    "code": (("null", "else", "lev<=2", "lev<=1", "exact"), _code_level, _edit_similarity),
    "address": (
        ("null", "else", "token_set>=70", "token_set>=90", "exact"),
        _address_level,
        _address_similarity,
    ),
    "email": (("null", "else", "same_local|lev<=2", "exact"), _email_level, _edit_similarity),
    "phone": (("null", "else", "lev<=1", "exact"), _phone_level, _edit_similarity),
    "exact": (("null", "else", "exact"), _exact_level, _exact_similarity),
}
METHODS: tuple[str, ...] = tuple(_METHODS)


@dataclass(frozen=True)
class Comparison:
    """One compared field and how two values are put into levels.

    Attributes:
        name: The field name, e.g. ``"first_name"``.
        method: One of ``"name"``, ``"date"``, ``"code"``, ``"address"``, ``"email"``,
            ``"phone"``, ``"exact"``.
    """

    name: str
    method: str

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise InvalidInputError(
                f"unknown comparison method {self.method!r} for field {self.name!r}; "
                f"expected one of {', '.join(METHODS)}"
            )

    @property
    def labels(self) -> tuple[str, ...]:
        """Level labels, index = level: ``("null", "else", <weakest> ... "exact")``."""
        return _METHODS[self.method][0]

    @property
    def top_level(self) -> int:
        """The ``exact`` level."""
        return len(self.labels) - 1


DEFAULT_COMPARISONS: tuple[Comparison, ...] = (
    Comparison("first_name", "name"),
    Comparison("last_name", "name"),
    Comparison("birth_date", "date"),
    Comparison("postcode", "code"),
    Comparison("street_number", "code"),
    Comparison("address", "address"),
    Comparison("suburb", "name"),
    Comparison("state", "exact"),
    Comparison("national_id", "code"),
    Comparison("email", "email"),
    Comparison("phone", "phone"),
)

# ----------------------------------------------------------------------------- profiles

#: Fields too coarse to count towards "enough to match on".
_WEAK_FIELDS = ("state", "street_number")
_OTHER_EVIDENCE_FIELDS = (
    "birth_date",
    "postcode",
    "address",
    "suburb",
    "national_id",
    "email",
    "phone",
)
_TEXT_FIELDS = ("first_name", "last_name", "suburb", "state")
_CODE_FIELDS = ("postcode", "street_number", "national_id")
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NON_DIGIT = re.compile(r"\D+")


@dataclass(frozen=True)
class MatchProfile:
    """The comparable view of one record.

    Attributes:
        key: The record key, e.g. ``"crm|A-1001"``.
        fields: Field name -> cleaned value (only non-empty ones).
        identifiers: Identifier keys ``"kind:value"`` the record carries.
    """

    key: str
    fields: Mapping[str, str]
    identifiers: frozenset[str]


def _clean_text(value: object) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split()).lower()


def _clean_code(value: object) -> str:
    return "".join(ch for ch in _clean_text(value) if ch.isalnum())


def _clean_date(value: object) -> str:
    text = _clean_text(value)
    iso = _ISO_DATE.fullmatch(text)
    if iso:
        year, month, day = iso.groups()
        return f"{year}{int(month):02d}{int(day):02d}"
    digits = _NON_DIGIT.sub("", text)
    # Unparsable or impossible dates (Febrl's "19560931") stay as their digits: they are
    # still comparable by edit distance.
    return digits or text


def profile_of(
    key: str, attributes: Mapping[str, str], identifier_keys: Iterable[str]
) -> MatchProfile | None:
    """Builds the comparable view of a record, or None if it has too little to match on.

    Fields come from the attributes of the same name (``first_name``, ``last_name``,
    ``birth_date``, ``postcode``, ``street_number``, ``suburb``, ``state``,
    ``national_id``); ``address`` is ``address_1 + " " + address_2`` (or an ``address``
    attribute when neither is given); ``email`` and ``phone`` are the values of the first
    (sorted) ``email:`` and ``phone:`` identifier keys. Values are stripped, lower-cased and
    whitespace-collapsed; codes keep letters and digits only, phones digits only; birth
    dates become ``YYYYMMDD`` (from ``YYYY-MM-DD`` or ``YYYYMMDD``; anything else is kept as
    its digits).

    Enough to match on means two fields or more besides ``state`` and ``street_number``,
    at least one of them not a name (``birth_date``, ``postcode``, ``address``,
    ``suburb``, ``national_id``, ``email`` or ``phone``) and at least one of them an
    attribute rather than an identifier. A name alone would put every "John Smith"
    together; a record without a name can still match on the rest; a record of bare
    identifiers is matched by its identifiers only (LINKED).

    Args:
        key: The record key.
        attributes: The record's attributes.
        identifier_keys: The record's identifier keys (``"kind:value"``).

    Returns:
        The profile, or None if the record does not have enough to match on.
    """
    identifiers = frozenset(identifier_keys)
    fields: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        fields[name] = _clean_text(attributes.get(name))
    for name in _CODE_FIELDS:
        fields[name] = _clean_code(attributes.get(name))
    fields["birth_date"] = _clean_date(attributes.get("birth_date"))
    if "address_1" in attributes or "address_2" in attributes:
        address = f"{attributes.get('address_1') or ''} {attributes.get('address_2') or ''}"
    else:
        address = attributes.get("address") or ""
    fields["address"] = _clean_text(address)
    for kind in ("email", "phone"):
        prefix = f"{kind}:"
        values = sorted(k[len(prefix) :] for k in identifiers if k.startswith(prefix))
        value = values[0] if values else ""
        fields[kind] = _NON_DIGIT.sub("", value) if kind == "phone" else _clean_text(value)
    kept = {name: value for name, value in fields.items() if value}
    informative = [name for name in kept if name not in _WEAK_FIELDS]
    has_other = any(name in kept for name in _OTHER_EVIDENCE_FIELDS)
    has_attribute = any(name not in ("email", "phone") for name in informative)
    if len(informative) < 2 or not has_other or not has_attribute:
        return None
    return MatchProfile(key=key, fields=kept, identifiers=identifiers)


# ----------------------------------------------------------------------------- blocking


@lru_cache(maxsize=65536)
def _soundex(value: str) -> str:
    return str(jellyfish.soundex(value))


@lru_cache(maxsize=65536)
def _metaphone(value: str) -> str:
    return str(jellyfish.metaphone(value))


def _email_local(email: str) -> str:
    local = email.split("@", 1)[0]
    return local.split("+", 1)[0].replace(".", "")


def blocking_keys(profile: MatchProfile) -> list[str]:
    """The blocking keys of a profile: records sharing a key become candidate pairs.

    Each key is prefixed by its rule name so it reads well in Neo4j Browser. A rule whose
    inputs are missing yields no key. Rules:

    * ``sx_year`` -- soundex of the last name and the birth year (``"sx_year:S530|1990"``):
      survives typos that keep the sound of the surname.
    * ``pc_init`` -- postcode and the first letter of the first name (``"pc_init:2600|j"``).
    * ``dob`` -- the full birth date (``"dob:19900417"``): survives any name typo.
    * ``nid`` -- the national id; ``nid_digits`` -- its digits sorted, which survives
      two digits swapped (``"2694239"`` and ``"2692439"`` -> ``"nid_digits:2234699"``).
    * ``names`` -- metaphone of the first name and of the last name, in alphabetical order
      (``"names:JN|SM0"``): survives typos in the date and address fields and a first
      name swapped with the last.
    * ``addr_no`` -- street number and the first four letters of the address
      (``"addr_no:12|wyom"``); ``addr_pc`` -- postcode and the first four letters of the
      address; ``addr_sub`` -- the first four letters of the suburb and of the address:
      survive typos in names, dates and ids.
    * ``email_local`` -- the email's local part without dots and ``+tag``
      (``"john.smith+shop@x.com"`` -> ``"email_local:johnsmith"``).
    * ``phone7`` -- the last 7 digits of the phone.

    Args:
        profile: The profile to block.

    Returns:
        Sorted, distinct keys.
    """
    fields = profile.fields
    first = fields.get("first_name", "")
    last = fields.get("last_name", "")
    birth = fields.get("birth_date", "")
    postcode = fields.get("postcode", "")
    keys: set[str] = set()
    if last and len(birth) >= 4 and birth[:4].isdigit():
        sx = _soundex(last)
        if sx:
            keys.add(f"sx_year:{sx}|{birth[:4]}")
    if postcode and first:
        keys.add(f"pc_init:{postcode}|{first[0]}")
    if birth:
        keys.add(f"dob:{birth}")
    national_id = fields.get("national_id")
    if national_id:
        keys.add(f"nid:{national_id}")
        if len(national_id) >= 5:
            keys.add(f"nid_digits:{''.join(sorted(national_id))}")
    if first and last:
        first_code, last_code = _metaphone(first), _metaphone(last)
        if first_code and last_code:
            low, high = sorted((first_code, last_code))
            keys.add(f"names:{low}|{high}")
    address = fields.get("address", "").replace(" ", "")
    if len(address) >= 4:
        start = address[:4]
        street_number = fields.get("street_number")
        if street_number:
            keys.add(f"addr_no:{street_number}|{start}")
        if postcode:
            keys.add(f"addr_pc:{postcode}|{start}")
        suburb = fields.get("suburb", "").replace(" ", "")
        if len(suburb) >= 4:
            keys.add(f"addr_sub:{suburb[:4]}|{start}")
    email = fields.get("email")
    if email:
        local = _email_local(email)
        if local:
            keys.add(f"email_local:{local}")
    phone = fields.get("phone", "")
    if len(phone) >= 7:
        keys.add(f"phone7:{phone[-7:]}")
    return sorted(keys)


def candidate_pairs(
    profiles: Sequence[MatchProfile], max_block: int = 200
) -> list[tuple[MatchProfile, MatchProfile]]:
    """Pairs of profiles that share a blocking key, the only pairs worth comparing.

    Blocks (the profiles sharing one key) with more than ``max_block`` members are skipped.
    Pairs that share an identifier key are not candidates: they are already linked exactly.
    Profiles with the same key are never paired.

    Args:
        profiles: The profiles to pair.
        max_block: The largest block whose pairs are kept.

    Returns:
        Distinct pairs ``(a, b)`` with ``a.key < b.key``, sorted by keys.
    """
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, profile in enumerate(profiles):
        for block_key in blocking_keys(profile):
            blocks[block_key].append(index)
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2 or len(members) > max_block:
            continue
        for i, left in enumerate(members):
            for right in members[i + 1 :]:
                seen.add((left, right) if left < right else (right, left))
    pairs: list[tuple[MatchProfile, MatchProfile]] = []
    for left, right in seen:
        a, b = profiles[left], profiles[right]
        if a.key == b.key or not a.identifiers.isdisjoint(b.identifiers):
            continue
        pairs.append((a, b) if a.key < b.key else (b, a))
    pairs.sort(key=lambda pair: (pair[0].key, pair[1].key))
    return pairs


# ---------------------------------------------------------------------------- comparing


def compare(
    a: MatchProfile, b: MatchProfile, comparisons: Sequence[Comparison] = DEFAULT_COMPARISONS
) -> tuple[int, ...]:
    """The comparison vector (gamma) of two profiles.

    Args:
        a: One profile.
        b: The other profile.
        comparisons: The fields to compare and how.

    Returns:
        One level per comparison, in order; ``NULL_LEVEL`` where either side lacks the field.
    """
    fa, fb = a.fields, b.fields
    levels: list[int] = []
    for comparison in comparisons:
        left = fa.get(comparison.name)
        right = fb.get(comparison.name)
        if not left or not right:
            levels.append(NULL_LEVEL)
        else:
            levels.append(_METHODS[comparison.method][1](left, right))
    return tuple(levels)


def similarities(
    a: MatchProfile, b: MatchProfile, comparisons: Sequence[Comparison] = DEFAULT_COMPARISONS
) -> tuple[float | None, ...]:
    """The raw similarity per field, in [0, 1], for explanations.

    Names use Jaro-Winkler, addresses the token-set ratio, the other methods normalised
    Levenshtein similarity (``exact`` gives 1.0 or 0.0).

    Args:
        a: One profile.
        b: The other profile.
        comparisons: The fields to compare and how.

    Returns:
        One similarity per comparison, None where either side lacks the field.
    """
    result: list[float | None] = []
    for comparison in comparisons:
        left = a.fields.get(comparison.name)
        right = b.fields.get(comparison.name)
        if not left or not right:
            result.append(None)
        else:
            result.append(_METHODS[comparison.method][2](left, right))
    return tuple(result)


# ------------------------------------------------------------------------------ scoring


def _probability_from_weight(weight: float) -> float:
    """``1 / (1 + 2**-weight)`` without overflow, kept strictly inside (0, 1)."""
    if weight >= 0:
        p = 1.0 / (1.0 + 2.0**-weight)
    else:
        z = 2.0**weight
        p = z / (1.0 + z)
    return min(max(p, _MIN_PROBABILITY), _MAX_PROBABILITY)


@dataclass(frozen=True)
class FieldEvidence:
    """What one field says about a pair.

    Attributes:
        field: The field name.
        level: The level the pair landed in.
        label: The level's label, e.g. ``"jw>=0.92"``.
        similarity: The raw similarity, None if the field is null.
        bayes_factor: ``m / u`` of the level (1 for null).
        match_weight: ``log2(bayes_factor)``.
    """

    field: str
    level: int
    label: str
    similarity: float | None
    bayes_factor: float
    match_weight: float


@dataclass(frozen=True)
class ScoredPair:
    """A compared and scored pair of records.

    Attributes:
        a: The smaller record key.
        b: The larger record key.
        gamma: The comparison vector.
        match_weight: log2 odds of a match, prior included.
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

        Example: ``{"first_name":{"level":"jw>=0.92","similarity":0.95,"weight":3.1}}``.
        """
        body = {
            evidence.field: {
                "level": evidence.label,
                "similarity": None
                if evidence.similarity is None
                else round(evidence.similarity, 4),
                "weight": round(evidence.match_weight, 4),
            }
            for evidence in self.fields
            if evidence.level != NULL_LEVEL
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class MatchModel:
    """A Fellegi-Sunter model: prior, and m and u per field and level.

    Attributes:
        version: Names the parameters, e.g. ``"default-2"`` or ``"em-<hash>"``.
        prior: The probability that a candidate pair is a match (lambda).
        comparisons: The compared fields.
        m: Per field, per level, P(level | match); index 0 (null) is unused and kept 1.0.
        u: Per field, per level, P(level | non-match); index 0 likewise.
        method: How the parameters were set: ``"default"``, ``"em"`` or ``"labels"``.
    """

    version: str
    prior: float
    comparisons: tuple[Comparison, ...]
    m: Mapping[str, tuple[float, ...]]
    u: Mapping[str, tuple[float, ...]]
    method: str

    def __post_init__(self) -> None:
        if not 0.0 < self.prior < 1.0:
            raise InvalidInputError(f"prior must be in (0, 1), got {self.prior}")
        for comparison in self.comparisons:
            size = len(comparison.labels)
            for name, table in (("m", self.m), ("u", self.u)):
                values = table.get(comparison.name)
                if values is None or len(values) != size:
                    raise InvalidInputError(
                        f"{name} of {comparison.name!r} needs {size} values (one per level)"
                    )
                if any(not v > 0.0 for v in values[1:]):
                    raise InvalidInputError(f"{name} of {comparison.name!r} must be positive")

    @cached_property
    def _prior_weight(self) -> float:
        return math.log2(self.prior / (1.0 - self.prior))

    @cached_property
    def _level_weights(self) -> tuple[tuple[float, ...], ...]:
        """log2(m / u) per comparison and level; 0.0 at the null level."""
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

    def score(self, gamma: Sequence[int]) -> tuple[float, float]:
        """Scores a comparison vector.

        Args:
            gamma: One level per comparison of the model.

        Returns:
            ``(match_weight, match_probability)``.
        """
        weight = self._prior_weight
        for level, weights in zip(gamma, self._level_weights, strict=True):
            weight += weights[level]
        return weight, _probability_from_weight(weight)

    def score_pair(self, a: MatchProfile, b: MatchProfile) -> ScoredPair:
        """Compares and scores two profiles, with per-field evidence for explanations.

        Args:
            a: One profile.
            b: The other profile (the pair is ordered by key).

        Returns:
            The scored pair.
        """
        if b.key < a.key:
            a, b = b, a
        gamma = compare(a, b, self.comparisons)
        sims = similarities(a, b, self.comparisons)
        weight, probability = self.score(gamma)
        evidence = tuple(
            FieldEvidence(
                field=c.name,
                level=level,
                label=c.labels[level],
                similarity=sim,
                bayes_factor=2.0 ** weights[level],
                match_weight=weights[level],
            )
            for c, level, sim, weights in zip(
                self.comparisons, gamma, sims, self._level_weights, strict=True
            )
        )
        return ScoredPair(a.key, b.key, gamma, weight, probability, evidence)

    def _parameters(self) -> dict[str, object]:
        return {
            "prior": self.prior,
            "comparisons": [{"name": c.name, "method": c.method} for c in self.comparisons],
            "m": {c.name: list(self.m[c.name]) for c in self.comparisons},
            "u": {c.name: list(self.u[c.name]) for c in self.comparisons},
        }

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
            comparisons = tuple(Comparison(c["name"], c["method"]) for c in body["comparisons"])
            return cls(
                version=str(body["version"]),
                prior=float(body["prior"]),
                comparisons=comparisons,
                m={name: tuple(float(v) for v in values) for name, values in body["m"].items()},
                u={name: tuple(float(v) for v in values) for name, values in body["u"].items()},
                method=str(body["method"]),
            )
        except (ValueError, KeyError, TypeError) as error:
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
        return rows


def _parameter_hash(
    prior: float,
    comparisons: Sequence[Comparison],
    m: Mapping[str, Sequence[float]],
    u: Mapping[str, Sequence[float]],
) -> str:
    body = {
        "prior": prior,
        "comparisons": [[c.name, c.method] for c in comparisons],
        "m": {c.name: list(m[c.name]) for c in comparisons},
        "u": {c.name: list(u[c.name]) for c in comparisons},
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# Hand-set m/u per field (index = level: null, else, <weakest> ... exact). They are
# deliberately cautious, because they score *candidate* pairs, which already share a
# blocking key: among candidates, two different people agree on a name far more often
# than two random people do. So names alone never reach the join threshold (first and
# last name exact give +6.4 bits against a prior of -6.6), one disagreeing email or phone
# outweighs a matching name, and a household (same surname, address and postcode, other
# first name and birth date) stays apart; a name plus a birth date, a postcode, an
# address or a near-identical email is enough. ``idgraph model fit`` replaces them with
# values estimated from the data (EM).
_DEFAULT_M: dict[str, tuple[float, ...]] = {
    "first_name": (1.0, 0.05, 0.05, 0.10, 0.80),
    "last_name": (1.0, 0.05, 0.05, 0.10, 0.80),
    "birth_date": (1.0, 0.05, 0.10, 0.85),
    "postcode": (1.0, 0.05, 0.05, 0.10, 0.80),
    "street_number": (1.0, 0.05, 0.05, 0.10, 0.80),
    "address": (1.0, 0.10, 0.10, 0.15, 0.65),
    "suburb": (1.0, 0.10, 0.05, 0.10, 0.75),
    "state": (1.0, 0.08, 0.92),
    "national_id": (1.0, 0.10, 0.05, 0.10, 0.75),
    # people have several emails and phones: a different one is weak evidence
    "email": (1.0, 0.20, 0.10, 0.70),
    "phone": (1.0, 0.20, 0.10, 0.70),
}
_DEFAULT_U: dict[str, tuple[float, ...]] = {
    "first_name": (1.0, 0.85, 0.07, 0.02, 0.10),
    "last_name": (1.0, 0.85, 0.06, 0.015, 0.075),
    "birth_date": (1.0, 0.97, 0.02, 0.01),
    "postcode": (1.0, 0.80, 0.10, 0.05, 0.05),
    # street numbers are short: two of them are often within one or two edits by chance
    "street_number": (1.0, 0.40, 0.30, 0.20, 0.10),
    "address": (1.0, 0.945, 0.035, 0.01, 0.01),
    "suburb": (1.0, 0.90, 0.04, 0.02, 0.04),
    "state": (1.0, 0.70, 0.30),
    "national_id": (1.0, 0.9998, 0.00015, 0.00004, 0.00001),
    "email": (1.0, 0.998, 0.0019, 0.0001),
    "phone": (1.0, 0.998, 0.0019, 0.0001),
}
DEFAULT_PRIOR = 0.01
"""Share of candidate pairs (pairs sharing a blocking key) taken to be matches."""


def manual_model(model: MatchModel) -> MatchModel:
    """A hand-set model (``idgraph model load``), versioned by its parameters
    (``manual-<hash>``) so that any change of m, u or prior is a new version."""
    digest = _parameter_hash(model.prior, model.comparisons, model.m, model.u)
    return dataclasses.replace(model, version=f"manual-{digest}", method="manual")


def default_model() -> MatchModel:
    """The hand-set model for :data:`DEFAULT_COMPARISONS` (version ``"default-2"``).

    Every field's Bayes factor rises with its level, so closer agreement never lowers the
    match probability.
    """
    return MatchModel(
        version="default-2",
        prior=DEFAULT_PRIOR,
        comparisons=DEFAULT_COMPARISONS,
        m=dict(_DEFAULT_M),
        u=dict(_DEFAULT_U),
        method="default",
    )


# ---------------------------------------------------------------------------- estimating


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
    prior = start.prior
    m = {name: tuple(start.m[name]) for name in names}
    u = {name: tuple(start.u[name]) for name in names}
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
                if level != NULL_LEVEL:
                    log_odds += log_m[k][level] - log_u[k][level]
            p = _probability_from_weight(log_odds / math.log(2.0))
            match_total += count * p
            for k, level in enumerate(gamma):
                if level != NULL_LEVEL:
                    m_counts[k][level] += count * p
                    u_counts[k][level] += count * (1.0 - p)
        new_prior = min(max(match_total / total, PROBABILITY_FLOOR), 1.0 - PROBABILITY_FLOOR)
        new_m = {}
        new_u = {}
        for k, name in enumerate(names):
            if sum(m_counts[k][1:]) + sum(u_counts[k][1:]) == 0.0:  # always null: keep start
                new_m[name], new_u[name] = m[name], u[name]
                continue
            new_m[name] = _normalised(m_counts[k], PROBABILITY_FLOOR)
            new_u[name] = _normalised(u_counts[k], PROBABILITY_FLOOR)
        change = abs(new_prior - prior)
        for name in names:
            for old, new in zip(m[name] + u[name], new_m[name] + new_u[name], strict=True):
                change = max(change, abs(new - old))
        prior, m, u = new_prior, new_m, new_u
        if change <= tolerance:
            break
    match_top = sum(m[c.name][c.top_level] for c in comparisons)
    non_match_top = sum(u[c.name][c.top_level] for c in comparisons)
    if match_top < non_match_top:
        prior, m, u = 1.0 - prior, u, m
    return MatchModel(
        version=f"em-{_parameter_hash(prior, comparisons, m, u)}",
        prior=prior,
        comparisons=comparisons,
        m=m,
        u=u,
        method="em",
    )


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
    return MatchModel(
        version=f"labels-{_parameter_hash(prior, comparisons, m, u)}",
        prior=prior,
        comparisons=comparisons,
        m=m,
        u=u,
        method="labels",
    )


def fit(
    profiles: Sequence[MatchProfile], start: MatchModel | None = None, max_block: int = 200
) -> MatchModel:
    """Fits a model to records by EM over their candidate pairs.

    Args:
        profiles: The records' profiles.
        start: Starting parameters; :func:`default_model` if None.
        max_block: The largest block whose pairs are used (see :func:`candidate_pairs`).

    Returns:
        The fitted model (method ``"em"``).

    Raises:
        InvalidInputError: If the profiles give no candidate pair.
    """
    model = start or default_model()
    gammas = [compare(a, b, model.comparisons) for a, b in candidate_pairs(profiles, max_block)]
    return fit_em(gammas, model)
