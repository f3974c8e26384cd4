"""Blocking: which pairs of records are worth comparing at all.

Comparing every record with every other grows with the square of the data, so only
*candidate pairs* are compared: pairs that share at least one *blocking key*, a coarse code
such as "same soundex of the surname and same birth year". Several keys are used so that a
duplicate with a typo in one or two fields still shares some key with its original. Keys
shared by very many records (a block larger than ``max_block``) are skipped, as they would
bring many pairs and little evidence. Pairs that already share an identifier (same email or
phone key) are linked exactly elsewhere and are not candidates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache

import jellyfish

from app.engine.matching.comparisons import email_local
from app.engine.matching.profiles import MatchProfile


@lru_cache(maxsize=65536)
def _soundex(value: str) -> str:
    return str(jellyfish.soundex(value))


@lru_cache(maxsize=65536)
def _metaphone(value: str) -> str:
    return str(jellyfish.metaphone(value))


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
        local = email_local(email)
        if local:
            keys.add(f"email_local:{local}")
    phone = fields.get("phone", "")
    if len(phone) >= 7:
        keys.add(f"phone7:{phone[-7:]}")
    return sorted(keys)


def cannot_match(a_key: str, b_key: str, one_per_person: frozenset[str]) -> bool:
    """Whether two records (keys ``source|record_id``) cannot be one person because they
    come from one source that lists every person once (``one_record_per_person_sources``)."""
    source = a_key.split("|", 1)[0]
    return source in one_per_person and source == b_key.split("|", 1)[0]


def possible_pairs(keys: Sequence[str], one_per_person: frozenset[str] = frozenset()) -> float:
    """How many pairs of ``keys`` could be one person: all pairs but those inside a source
    that lists every person once. The frame the prior of a fitted model is stated over."""
    n = len(keys)
    per_source = Counter(k.split("|", 1)[0] for k in keys)
    inside = sum(c * (c - 1) / 2.0 for s, c in per_source.items() if s in one_per_person)
    return n * (n - 1) / 2.0 - inside


def candidate_pairs(
    profiles: Sequence[MatchProfile],
    max_block: int = 200,
    one_per_person: frozenset[str] = frozenset(),
) -> list[tuple[MatchProfile, MatchProfile]]:
    """Pairs of profiles that share a blocking key, the only pairs worth comparing.

    Blocks (the profiles sharing one key) with more than ``max_block`` members are skipped.
    Pairs that share an identifier key are not candidates: they are already linked exactly.
    Profiles with the same key are never paired, nor two of one source in
    ``one_per_person`` (:func:`cannot_match`).

    Args:
        profiles: The profiles to pair.
        max_block: The largest block whose pairs are kept.
        one_per_person: Sources that list every person once.

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
        if one_per_person and cannot_match(a.key, b.key, one_per_person):
            continue
        pairs.append((a, b) if a.key < b.key else (b, a))
    pairs.sort(key=lambda pair: (pair[0].key, pair[1].key))
    return pairs
