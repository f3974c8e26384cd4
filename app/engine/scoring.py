"""Match evidence to match probability: how sure is a link between two identifiers?

Which identifiers a record links: each identifier of a record is linked to the record's
*anchor*, its strongest identifier (kind order ``account``, ``email``, ``phone``,
``device``, ``cookie``, then other kinds; ties by key). A record with k identifiers gives
k - 1 links (a star) rather than k(k-1)/2, and every identifier of the record is still
connected through the anchor.

A link's evidence is the set of records that observed both identifiers. Each source
contributes ``p_s = 1 - (1 - base) * repeat_decay ** (n_s - 1)`` where ``base`` is the
weaker of the two kinds' strengths and ``n_s`` the number of that source's records;
sources are independent corroboration, so ``p = 1 - prod(1 - p_s)``. A second source
therefore moves the probability more than a repeat from the same source.
``match_weight`` is the log2 odds (Splink's vocabulary).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CO_OBSERVED = "co_observed"

DEFAULT_KIND_STRENGTH: dict[str, float] = {
    "email": 0.95,
    "account": 0.95,
    "phone": 0.9,
    "cookie": 0.85,
    "device": 0.8,
}
_MAX_P = 0.999999


@dataclass(frozen=True)
class ScoringConfig:
    """Per-kind link strength and how much a repeat from the same source adds."""

    kind_strength: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_KIND_STRENGTH))
    default_strength: float = 0.8
    repeat_decay: float = 0.7

    def strength(self, kind: str) -> float:
        return self.kind_strength.get(kind, self.default_strength)


KIND_RANK: dict[str, int] = {"account": 0, "email": 1, "phone": 2, "device": 3, "cookie": 4}


def anchor_of(keys: Iterable[str]) -> str:
    """The strongest identifier of a record (see the module docstring)."""
    return min(keys, key=lambda k: (KIND_RANK.get(k.split(":", 1)[0], len(KIND_RANK)), k))


def record_links(keys: Iterable[str]) -> list[tuple[str, str]]:
    """The ``(a, b)`` pairs (``a < b``) a record with these identifiers links."""
    distinct = sorted(set(keys))
    if len(distinct) < 2:
        return []
    anchor = anchor_of(distinct)
    return [(min(anchor, k), max(anchor, k)) for k in distinct if k != anchor]


def source_of(record_key: str) -> str:
    """``crm|A-1001`` -> ``crm``."""
    return record_key.split("|", 1)[0]


def link_probability(
    kind_a: str, kind_b: str, records: Iterable[str], config: ScoringConfig
) -> float:
    """The match probability of a co-observation link backed by ``records``."""
    return source_probability(kind_a, kind_b, source_counts(records), config)


def source_counts(records: Iterable[str]) -> Counter[str]:
    """How many of ``records`` each source holds (``crm|A-1001`` counts for ``crm``)."""
    return Counter([r.partition("|")[0] for r in records])


def source_probability(
    kind_a: str, kind_b: str, per_source: Mapping[str, int], config: ScoringConfig
) -> float:
    """:func:`link_probability` from the records' counts per source (a link with many
    records is counted once, for its probability and its ``sources`` alike)."""
    if not per_source:
        return 0.0
    base = min(config.strength(kind_a), config.strength(kind_b))
    miss = 1.0
    for n in per_source.values():
        miss *= (1.0 - base) * config.repeat_decay ** (n - 1)
    return min(1.0 - miss, _MAX_P)


def match_weight(p: float) -> float:
    """log2 odds of a probability (0 < p < 1)."""
    p = min(max(p, 1e-9), _MAX_P)
    return math.log2(p / (1.0 - p))
