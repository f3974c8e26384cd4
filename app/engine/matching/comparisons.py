"""Comparisons and their levels: how two profiles are put side by side, field by field.

Each comparison lands a pair in one *level*: level 0 (``null``) when either record lacks
the field, level 1 (``else``) when the values were compared and disagree, and higher levels
for ever closer agreement up to ``exact``. The list of levels of one pair is its
*comparison vector* (gamma). The comparisons (README, "How records are compared"):

* ``first_name``, ``last_name`` (method ``name``): ``else``, Jaro-Winkler >= 0.80, >= 0.92,
  ``exact``; both in the better of two alignments, so a record with first and last name
  swapped compares first with last (one fact, not two disagreements; the weaker of the
  two cross levels is reported as the first name's, and no term-frequency adjustment
  applies to a swapped pair).
* ``birth_date`` (``date``): ``else``, one edit, two adjacent digits swapped or day and
  month swapped, ``exact``.
* ``address`` (``address``): ONE comparison over street number, street, unit, postcode and
  suburb, because they describe one place and are not independent evidence (two records
  at one address agree on all of them at once). Levels: ``else``, ``same_region`` (same
  postcode, or same suburb where a postcode is missing or differs by one typo),
  ``same_street`` (street names close, numbers and units not contradicting),
  ``street_and_number`` (street close and the same number), ``exact`` (street, number
  and unit agree, and the region). A differing unit (flat 4 vs flat 5) leaves only
  ``same_region``. ``state`` is not compared: nearly everyone in a data set shares a
  handful.
* ``national_id`` (``code``): ``else``, two edits, one edit or two adjacent characters
  swapped, ``exact``.
* ``email`` (``email``): ``else``, a typo (at most two edits in letters, the digits of the
  local part identical) or the same local part at another domain, ``exact``. Local parts
  that differ in their digits (``name935`` vs ``name636``) are different mailboxes.
* ``phone`` (``phone``): ``else``, one wrong digit or two adjacent digits swapped,
  ``exact``.

Some levels are *term-frequency adjusted* (:mod:`app.engine.matching.frequencies`): the
agreed value's frequency says how much an agreement is worth. :func:`term_of` names the
value a pair agreed on at such a level.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache, partial

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from app.core.errors import InvalidInputError
from app.engine.matching.profiles import MatchProfile, digits_of

NULL_LEVEL = 0  # either side missing: contributes a Bayes factor of 1
ELSE_LEVEL = 1  # compared, all agreement levels failed

Fields = Mapping[str, str]
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


def dates_typo_equal(a: str, b: str) -> bool:
    """Two cleaned dates (``YYYYMMDD``) equal up to one typo: one edit, or day and month
    swapped. The birth-date policy's test: two adjacent digits swapped (1 and 10 February)
    are two dates to a hard guard, though matching scores them as a typo (below)."""
    return a == b or Levenshtein.distance(a, b, score_cutoff=1) <= 1 or _day_month_swapped(a, b)


def _date_level(a: str, b: str) -> int:
    """``exact``; the typo level for one edit, two adjacent digits swapped (``19420704`` /
    ``19402704``: Splink's date comparison counts it too) or day and month swapped."""
    if a == b:
        return 3
    typo = dates_typo_equal(a, b) or OSA.distance(a, b, score_cutoff=1) <= 1
    return 2 if typo else ELSE_LEVEL


def _edit_similarity(a: str, b: str) -> float:
    return float(Levenshtein.normalized_similarity(a, b))


def _code_level(a: str, b: str) -> int:
    if a == b:
        return 4
    if OSA.distance(a, b, score_cutoff=1) <= 1:
        return 3
    return 2 if Levenshtein.distance(a, b, score_cutoff=2) <= 2 else ELSE_LEVEL


def email_local(email: str) -> str:
    """The local part without dots and ``+tag``: ``john.smith+shop@x.com`` -> ``johnsmith``."""
    local = email.split("@", 1)[0]
    return local.split("+", 1)[0].replace(".", "")


@lru_cache(maxsize=65536)
def _email_parts(email: str) -> tuple[str, str]:
    """``(email_local, its digits)``: a record's e-mail meets every candidate of the record,
    so it is parsed once."""
    local = email_local(email)
    return local, digits_of(local)


def _email_level(a: str, b: str) -> int:
    if a == b:
        return 3
    (local_a, digits_a), (local_b, digits_b) = _email_parts(a), _email_parts(b)
    if digits_a != digits_b:
        return ELSE_LEVEL  # name935 vs name636: other people, not a typo
    if local_a == local_b or Levenshtein.distance(a, b, score_cutoff=2) <= 2:
        return 2
    return ELSE_LEVEL


def _phone_level(a: str, b: str) -> int:
    if a == b:
        return 3
    return 2 if OSA.distance(a, b, score_cutoff=1) <= 1 else ELSE_LEVEL


def _exact_level(a: str, b: str) -> int:
    return 2 if a == b else ELSE_LEVEL


def _exact_similarity(a: str, b: str) -> float:
    return 1.0 if a == b else 0.0


# -------------------------------------------------------------------------------- names
_NAME_PAIR = ("first_name", "last_name")


def _names_swapped(fa: Fields, fb: Fields) -> bool:
    """Whether one record has first and last name the other way round: the swapped
    alignment (a's first with b's last, a's last with b's first) agrees better than the
    direct one. Needs all four names."""
    a_first, a_last = fa.get("first_name"), fa.get("last_name")
    b_first, b_last = fb.get("first_name"), fb.get("last_name")
    if not (a_first and a_last and b_first and b_last):
        return False
    direct = _name_level(a_first, b_first) + _name_level(a_last, b_last)
    swapped = _name_level(a_first, b_last) + _name_level(a_last, b_first)
    return swapped > direct


def name_levels(fa: Fields, fb: Fields) -> tuple[int, int]:
    """Levels of (first name, last name) in the better of the two alignments (a form
    filled in surname first is the same person; see :func:`_names_swapped`). Each of the
    four name pairs is compared once: this runs for every candidate pair."""
    a_first, a_last = fa.get("first_name"), fa.get("last_name")
    b_first, b_last = fb.get("first_name"), fb.get("last_name")
    first = _name_level(a_first, b_first) if a_first and b_first else NULL_LEVEL
    last = _name_level(a_last, b_last) if a_last and b_last else NULL_LEVEL
    if a_first and a_last and b_first and b_last:
        first_last, last_first = _name_level(a_first, b_last), _name_level(a_last, b_first)
        if first_last + last_first > first + last:
            # the two cross pairs, the weaker as first name: the same whichever record is a
            return min(first_last, last_first), max(first_last, last_first)
    return first, last


# ------------------------------------------------------------------------------ address
ADDRESS_FIELDS = ("street_number", "address", "unit", "postcode", "suburb")
_STREET_CLOSE = 85.0


def _same_unit(a: str | None, b: str | None) -> bool:
    return not a or not b or JaroWinkler.similarity(a, b) >= 0.9


def _streets_close(a: str, b: str) -> bool:
    """Street names that differ by a typo, an abbreviation or a word (token-set ratio or
    Jaro-Winkler): ``main st`` / ``main street``, ``ocean pde`` / ``ocean parade``."""
    return (
        fuzz.token_set_ratio(a, b, score_cutoff=_STREET_CLOSE) >= _STREET_CLOSE
        or JaroWinkler.similarity(a, b, score_cutoff=0.9) >= 0.9
    )


def _same_region(fa: Fields, fb: Fields) -> bool | None:
    """Same postcode, or the same suburb where a postcode is missing or differs by one typo
    (one edit or two adjacent digits swapped: ``2112`` / ``2121`` in ``eastwood``); None
    when neither can be compared."""
    pc_a, pc_b = fa.get("postcode"), fb.get("postcode")
    sub_a, sub_b = fa.get("suburb"), fb.get("suburb")
    same_suburb = sub_a == sub_b if sub_a and sub_b else None
    if pc_a and pc_b:
        if pc_a == pc_b:
            return True
        return bool(same_suburb) and OSA.distance(pc_a, pc_b, score_cutoff=1) <= 1
    return same_suburb


def _address_level(fa: Fields, fb: Fields) -> int:
    street_a, street_b = fa.get("address"), fb.get("address")
    same_region = _same_region(fa, fb)
    if not (street_a and street_b) and same_region is None:
        return NULL_LEVEL
    if street_a and street_b and _same_unit(fa.get("unit"), fb.get("unit")):
        num_a, num_b = fa.get("street_number"), fb.get("street_number")
        numbers_known = bool(num_a and num_b)
        number_ok = not numbers_known or num_a == num_b
        if street_a == street_b and number_ok and numbers_known and same_region is not False:
            return 5
        close = _streets_close(street_a, street_b)
        if close and numbers_known and num_a == num_b:
            return 4
        if close and number_ok:
            return 3
    return 2 if same_region else ELSE_LEVEL


def _address_similarity(fa: Fields, fb: Fields) -> float:
    street_a, street_b = fa.get("address"), fb.get("address")
    if street_a and street_b:
        return float(fuzz.token_set_ratio(street_a, street_b)) / 100.0
    return 1.0 if _address_level(fa, fb) >= 2 else 0.0


def address_key(fields: Fields) -> str:
    """The whole address as one value: ``number|street|unit|postcode``."""
    return "|".join(
        fields.get(name, "") for name in ("street_number", "address", "unit", "postcode")
    )


def street_key(fields: Fields) -> str:
    """``number|street``: a building (a block of flats, a care home)."""
    return f"{fields.get('street_number', '')}|{fields.get('address', '')}"


def region_key(fields: Fields) -> str:
    """The postcode, or ``suburb:<suburb>`` where there is none."""
    postcode = fields.get("postcode")
    if postcode:
        return postcode
    suburb = fields.get("suburb")
    return f"suburb:{suburb}" if suburb else ""


def _one_name_level(index: int, fa: Fields, fb: Fields) -> int:
    return name_levels(fa, fb)[index]


def _field_level(name: str, level: LevelFn, fa: Fields, fb: Fields) -> int:
    left = fa.get(name)
    if not left:
        return NULL_LEVEL
    right = fb.get(name)
    if not right:
        return NULL_LEVEL
    return level(left, right)


# ------------------------------------------------------------------------------ methods
@dataclass(frozen=True)
class _Method:
    labels: tuple[str, ...]
    level: LevelFn
    similarity: SimilarityFn


_METHODS: dict[str, _Method] = {
    "name": _Method(
        ("null", "else", "jw>=0.80", "jw>=0.92", "exact"), _name_level, _name_similarity
    ),
    "date": _Method(
        ("null", "else", "osa<=1|day_month_swap", "exact"), _date_level, _edit_similarity
    ),
    "code": _Method(("null", "else", "lev<=2", "osa<=1", "exact"), _code_level, _edit_similarity),
    "email": _Method(
        ("null", "else", "same_local|typo_same_digits", "exact"), _email_level, _edit_similarity
    ),
    "phone": _Method(("null", "else", "osa<=1", "exact"), _phone_level, _edit_similarity),
    "exact": _Method(("null", "else", "exact"), _exact_level, _exact_similarity),
}
_ADDRESS_LABELS = ("null", "else", "same_region", "same_street", "street_and_number", "exact")
METHODS: tuple[str, ...] = (*_METHODS, "address")

#: Term-frequency adjusted levels of the methods: level -> how the agreed value is named.
#: ``None`` means the field's own value.
_TERMS: dict[str, dict[int, tuple[str | None, Callable[[Fields], str] | None]]] = {
    "name": {4: (None, None)},
    "date": {3: (None, None)},
    "code": {4: (None, None)},
    "address": {
        5: ("address", address_key),
        4: ("street", street_key),
        2: ("region", region_key),
    },
}


def _own_value(name: str, fields: Fields) -> str:
    return fields.get(name, "")


@dataclass(frozen=True)
class Comparison:
    """One compared field and how two values are put into levels.

    Attributes:
        name: The field name, e.g. ``"first_name"`` (``"address"`` compares street number,
            street, unit, postcode and suburb together).
        method: One of ``"name"``, ``"date"``, ``"code"``, ``"address"``, ``"email"``,
            ``"phone"``, ``"exact"``.
        term_frequencies: Whether agreement levels are weighed by how common the agreed
            value is (see :mod:`app.engine.matching.frequencies`).
    """

    name: str
    method: str
    term_frequencies: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InvalidInputError(
                f"unknown comparison method {self.method!r} for field {self.name!r}; "
                f"expected one of {', '.join(METHODS)}"
            )

    @property
    def labels(self) -> tuple[str, ...]:
        """Level labels, index = level: ``("null", "else", <weakest> ... "exact")``."""
        return _ADDRESS_LABELS if self.method == "address" else _METHODS[self.method].labels

    @cached_property
    def names_together(self) -> bool:
        """First or last name by the name method: levelled with the other name (a record
        may have them swapped, :func:`name_levels`)."""
        return self.method == "name" and self.name in _NAME_PAIR

    @cached_property
    def name_index(self) -> int:
        """0 for the first name, 1 for the last (for :attr:`names_together` ones)."""
        return _NAME_PAIR.index(self.name) if self.name in _NAME_PAIR else -1

    @property
    def top_level(self) -> int:
        """The ``exact`` level."""
        return len(self.labels) - 1

    def level(self, fa: Fields, fb: Fields) -> int:
        """The level of two profiles' fields."""
        return self.leveller(fa, fb)

    @cached_property
    def leveller(self) -> Callable[[Fields, Fields], int]:
        """:meth:`level` as one function of the two profiles' fields, its method bound
        (it runs for every candidate pair; :func:`compare` levels first and last name
        together, with one call of :func:`name_levels`)."""
        if self.method == "address":
            return _address_level
        if self.names_together:
            return partial(_one_name_level, self.name_index)
        return partial(_field_level, self.name, _METHODS[self.method].level)

    def similarity(self, fa: Fields, fb: Fields) -> float | None:
        """The raw similarity in [0, 1] (None where a side lacks the field)."""
        if self.method == "address":
            return None if _address_level(fa, fb) == NULL_LEVEL else _address_similarity(fa, fb)
        if self.names_together and _names_swapped(fa, fb):
            cross = sorted(
                (
                    _name_similarity(fa["first_name"], fb["last_name"]),
                    _name_similarity(fa["last_name"], fb["first_name"]),
                )
            )
            return cross[self.name_index]
        left, right = fa.get(self.name), fb.get(self.name)
        if not left or not right:
            return None
        return _METHODS[self.method].similarity(left, right)

    def term_fields(self) -> dict[str, Callable[[Fields], str]]:
        """Term field -> how a profile names its value, for every adjusted level."""
        if not self.term_frequencies:
            return {}
        out: dict[str, Callable[[Fields], str]] = {}
        for field, key in _TERMS.get(self.method, {}).values():
            name = field or self.name
            out[name] = key or partial(_own_value, self.name)
        return out

    def term_of(self, level: int, fa: Fields, fb: Fields) -> tuple[str, str, str] | None:
        """``(term field, value of a, value of b)`` agreed at an adjusted ``level``, or None."""
        if not self.term_frequencies:
            return None
        entry = _TERMS.get(self.method, {}).get(level)
        if entry is None:
            return None
        field, key = entry
        if key is None:
            if self.name in _NAME_PAIR and _names_swapped(fa, fb):
                return None  # swapped names: no frequency adjustment (it only ever lowers)
            return self.name, fa.get(self.name, ""), fb.get(self.name, "")
        return field or self.name, key(fa), key(fb)


DEFAULT_COMPARISONS: tuple[Comparison, ...] = (
    Comparison("first_name", "name", term_frequencies=True),
    Comparison("last_name", "name", term_frequencies=True),
    Comparison("birth_date", "date", term_frequencies=True),
    Comparison("address", "address", term_frequencies=True),
    Comparison("national_id", "code", term_frequencies=True),
    Comparison("email", "email"),
    Comparison("phone", "phone"),
)


def compare(
    a: MatchProfile, b: MatchProfile, comparisons: Sequence[Comparison] = DEFAULT_COMPARISONS
) -> tuple[int, ...]:
    """The comparison vector (gamma) of two profiles: one level per comparison, in order;
    ``NULL_LEVEL`` where either side lacks the field."""
    fa, fb = a.fields, b.fields
    names: tuple[int, int] | None = None
    levels = []
    for comparison in comparisons:
        if comparison.names_together:  # both names levelled at once, once per pair
            if names is None:
                names = name_levels(fa, fb)
            levels.append(names[comparison.name_index])
        else:
            levels.append(comparison.leveller(fa, fb))
    return tuple(levels)


def similarities(
    a: MatchProfile, b: MatchProfile, comparisons: Sequence[Comparison] = DEFAULT_COMPARISONS
) -> tuple[float | None, ...]:
    """The raw similarity per field, in [0, 1], for explanations.

    Names use Jaro-Winkler, addresses the token-set ratio of the streets, the other methods
    normalised Levenshtein similarity (``exact`` gives 1.0 or 0.0); None where either side
    lacks the field.
    """
    return tuple(comparison.similarity(a.fields, b.fields) for comparison in comparisons)
