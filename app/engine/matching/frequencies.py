"""Term frequencies: an agreement on a rare value says more than one on a common value.

Two records agreeing on the surname "Smith", the one city everyone lives in, or a
placeholder postcode such as ``00000`` are weak evidence; agreeing on a rare surname is
strong. As in Splink, the Bayes factor of a term-frequency adjusted level is multiplied by
``u_random / tf(value)``, where ``tf(value)`` is the share of records holding the agreed
value and ``u_random = sum(tf(v)^2)`` is the chance that two random records agree on the
field at all. An average value keeps the level's weight; a value ten times as common as
average loses ``log2(10) = 3.3`` bits. For a fuzzy level the more common of the two values
counts (the cautious choice).

The adjustment only ever lowers a weight (like Splink's ``tf_minimum_u_value``, set to the
level's own ``u``): a rare surname keeps the full weight of an exact surname, it does not
gain more. Boosting rare values assumes they are independent of the other fields, and in
exactly the pairs that matter they are not: one family shares a rare surname *and* an
address, so boosting both counts one fact twice and merges the household (measured on
``bench/accuracy``'s realistic data set: pairwise precision 0.39 with boosts, 0.85
without).

**Where the counts live.** Every record with a profile is a member of one *term block*
per adjusted field in Neo4j (``(:Record)-[:IN_BLOCK]->(:Block {key: "tf:last_name|<hash>",
size})``), kept by the same statements that keep the blocking keys, so the counts follow
records as they arrive, are replaced and are erased. Values are stored as a short hash,
never in clear.

**Order independence.** Scores use the frequencies *frozen into the match model*
(:attr:`MatchModel.frequencies`), not the live counts: ``idgraph model fit`` takes the
counts of the graph at that moment and ``idgraph rematch`` re-scores every pair with them.
Between two fits the partition therefore depends only on the set of records and the model,
whatever the order records arrived in; the built-in default model has no frequencies (no
adjustment) until the first fit.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from app.engine.matching.comparisons import Comparison
from app.engine.matching.profiles import MatchProfile

#: Prefix of term-block keys, which are not blocking keys (they never make candidates).
TERM_PREFIX = "tf:"


def term_hash(value: str) -> str:
    """A short, stable hash of a term value (the graph and the model keep no clear value)."""
    return hashlib.blake2b(value.encode(), digest_size=8).hexdigest()


def term_values(profile: MatchProfile, comparisons: Sequence[Comparison]) -> dict[str, str]:
    """Term field -> the profile's value, for every adjusted field the profile has."""
    out: dict[str, str] = {}
    for comparison in comparisons:
        for field, key in comparison.term_fields().items():
            value = key(profile.fields)
            if value.strip("|"):
                out[field] = value
    return out


def term_block_keys(profile: MatchProfile, comparisons: Sequence[Comparison]) -> list[str]:
    """The term blocks of a profile: ``tf:<field>|<hash of value>``, sorted."""
    return sorted(
        f"{TERM_PREFIX}{field}|{term_hash(value)}"
        for field, value in term_values(profile, comparisons).items()
    )


def is_term_block(block: str) -> bool:
    return block.startswith(TERM_PREFIX)


@dataclass(frozen=True)
class TermFrequencies:
    """Frozen value counts per adjusted field.

    Attributes:
        totals: field -> records holding a value.
        sum_squares: field -> sum over values of count squared.
        counts: field -> value hash -> count, for values held by two records or more (a
            value not listed is held by one record).
    """

    totals: Mapping[str, int]
    sum_squares: Mapping[str, int]
    counts: Mapping[str, Mapping[str, int]]

    @classmethod
    def from_blocks(cls, rows: Iterable[tuple[str, int]]) -> TermFrequencies:
        """From ``(term block key, size)`` rows as stored in the graph."""
        per_field: dict[str, Counter[str]] = {}
        for block, size in rows:
            if not is_term_block(block) or size <= 0:
                continue
            field, _, digest = block[len(TERM_PREFIX) :].partition("|")
            per_field.setdefault(field, Counter())[digest] += int(size)
        return cls._of(per_field)

    @classmethod
    def from_profiles(
        cls, profiles: Iterable[MatchProfile], comparisons: Sequence[Comparison]
    ) -> TermFrequencies:
        """Counted straight from profiles (the oracle the graph's counts must equal)."""
        per_field: dict[str, Counter[str]] = {}
        for profile in profiles:
            for field, value in term_values(profile, comparisons).items():
                per_field.setdefault(field, Counter())[term_hash(value)] += 1
        return cls._of(per_field)

    @classmethod
    def _of(cls, per_field: Mapping[str, Counter[str]]) -> TermFrequencies:
        return cls(
            totals={f: sum(c.values()) for f, c in sorted(per_field.items())},
            sum_squares={f: sum(n * n for n in c.values()) for f, c in sorted(per_field.items())},
            counts={
                f: {h: n for h, n in sorted(c.items()) if n >= 2}
                for f, c in sorted(per_field.items())
            },
        )

    def count(self, field: str, value: str) -> int:
        return self.counts.get(field, {}).get(term_hash(value), 1)

    def adjustment(self, field: str, value_a: str, value_b: str) -> float:
        """Bits added to an agreement on ``field``: ``min(0, log2(u_random / tf))``, where tf
        is the share of records holding the more common of the two values (0 for a field
        without counts)."""
        total = self.totals.get(field, 0)
        if total <= 0:
            return 0.0
        count = max(self.count(field, value_a), self.count(field, value_b))
        return min(0.0, math.log2(self.sum_squares[field] / (total * count)))

    def to_body(self) -> dict[str, object]:
        return {
            "totals": dict(self.totals),
            "sum_squares": dict(self.sum_squares),
            "counts": {f: dict(c) for f, c in self.counts.items()},
        }

    @classmethod
    def from_body(cls, body: Mapping[str, object]) -> TermFrequencies:
        totals = body["totals"]
        sum_squares = body["sum_squares"]
        counts = body["counts"]
        assert isinstance(totals, dict) and isinstance(sum_squares, dict)
        assert isinstance(counts, dict)
        return cls(
            totals={str(k): int(v) for k, v in totals.items()},
            sum_squares={str(k): int(v) for k, v in sum_squares.items()},
            counts={str(f): {str(h): int(n) for h, n in c.items()} for f, c in counts.items()},
        )
