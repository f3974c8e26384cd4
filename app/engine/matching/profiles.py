"""Profiles: the comparable view of one record (cleaned fields and identifier keys)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

#: Fields too coarse to count towards "enough to match on".
_WEAK_FIELDS = ("state", "street_number", "unit")
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


def clean_text(value: object) -> str:
    """Stripped, lower-cased, whitespace-collapsed text ("" for None)."""
    if value is None:
        return ""
    return " ".join(str(value).split()).lower()


def clean_code(value: object) -> str:
    """Letters and digits only, lower-cased (postcodes, street numbers, national ids)."""
    return "".join(ch for ch in clean_text(value) if ch.isalnum())


def clean_date(value: object) -> str:
    """``YYYYMMDD`` from ``YYYY-MM-DD`` (or ``/``, ``.``); anything else keeps its digits."""
    text = clean_text(value)
    iso = _ISO_DATE.fullmatch(text)
    if iso:
        year, month, day = iso.groups()
        return f"{year}{int(month):02d}{int(day):02d}"
    digits = _NON_DIGIT.sub("", text)
    # Unparsable or impossible dates (Febrl's "19560931") stay as their digits: they are
    # still comparable by edit distance.
    return digits or text


def digits_of(value: str) -> str:
    return _NON_DIGIT.sub("", value)


def profile_of(
    key: str, attributes: Mapping[str, str], identifier_keys: Iterable[str]
) -> MatchProfile | None:
    """Builds the comparable view of a record, or None if it has too little to match on.

    Fields come from the attributes of the same name (``first_name``, ``last_name``,
    ``birth_date``, ``postcode``, ``street_number``, ``suburb``, ``state``,
    ``national_id``); ``address`` is the street line (``address_1``, or ``address``) and
    ``unit`` the second line (``address_2``: flat, unit, building); ``email`` and
    ``phone`` are the values of the first (sorted) ``email:`` and ``phone:`` identifier
    keys. Values are stripped,
    lower-cased and whitespace-collapsed; codes keep letters and digits only, phones digits
    only; birth dates become ``YYYYMMDD`` (from ``YYYY-MM-DD`` or ``YYYYMMDD``; anything
    else is kept as its digits).

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
        fields[name] = clean_text(attributes.get(name))
    for name in _CODE_FIELDS:
        fields[name] = clean_code(attributes.get(name))
    fields["birth_date"] = clean_date(attributes.get("birth_date"))
    fields["address"] = clean_text(attributes.get("address_1") or attributes.get("address"))
    fields["unit"] = clean_text(attributes.get("address_2"))
    for kind in ("email", "phone"):
        prefix = f"{kind}:"
        values = sorted(k[len(prefix) :] for k in identifiers if k.startswith(prefix))
        value = values[0] if values else ""
        fields[kind] = digits_of(value) if kind == "phone" else clean_text(value)
    kept = {name: value for name, value in fields.items() if value}
    informative = [name for name in kept if name not in _WEAK_FIELDS]
    has_other = any(name in kept for name in _OTHER_EVIDENCE_FIELDS)
    has_attribute = any(name not in ("email", "phone") for name in informative)
    if len(informative) < 2 or not has_other or not has_attribute:
        return None
    return MatchProfile(key=key, fields=kept, identifiers=identifiers)


@lru_cache(maxsize=1 << 16)
def stored_profile(
    key: str, attributes: tuple[tuple[str, str], ...], identifier_keys: tuple[str, ...]
) -> MatchProfile | None:
    """:func:`profile_of` of a stored record, remembered by its inputs.

    A pure function's cache, not a copy of the graph: the same key, attributes and
    identifiers always give the same profile. Each batch of a live ingest re-reads the
    members of its records' blocks (thousands of records, the same ones batch after
    batch); their profiles are built once per process instead of once per batch.
    Callers must not change the profile's ``fields``.
    """
    return profile_of(key, dict(attributes), identifier_keys)
