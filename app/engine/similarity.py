"""Similarity evidence in the live graph: blocking in Neo4j, Fellegi-Sunter scoring, SIMILAR links.

Records that share no identifier can still be one person ("Jon Smyth, 1990-02-01, 94110" and
"John Smith, 1990-02-01, 94110"). For every record with enough attributes to match on
(:func:`app.engine.matching.profile_of`), a batch

1. puts the record into its **blocks** (``(:Record)-[:IN_BLOCK]->(:Block {key, size})``,
   e.g. ``sx_year:S530|1990``) so later records find it without comparing all pairs;
2. compares it with every record in its blocks that holds at most ``max_block`` members
   (a bigger block is too unselective to be worth comparing: it yields no candidates),
   skipping records that share an identifier with it (they are linked exactly already);
3. scores each pair with the active :class:`~app.engine.matching.MatchModel` and keeps
   pairs with ``match_probability >= min_probability`` as evidence on a ``SIMILAR`` link
   between the two records' **anchors** (their strongest identifier; a record with no
   identifier has a ``record`` identifier standing for it). The link carries every record
   pair behind it with its probability and comparison vector (which fields agreed, how
   well); its ``match_probability`` is the best pair's.

Which pairs are evidence depends only on the records themselves and on block sizes, never
on arrival order: when a block crosses ``max_block`` (either way), every record in it is
re-matched, so the pairs found only through that block disappear (or appear) exactly as if
the records had arrived in any other order. The cost per record is bounded by the number
of its blocks times ``max_block``, whatever the size of the graph.

The clustering treats a SIMILAR link like a LINKED one: a pair's probability is the
stronger of its two kinds of evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.engine.matching import (
    DEFAULT_COMPARISONS,
    MatchModel,
    MatchProfile,
    ScoredPair,
    blocking_keys,
    cannot_match,
    is_term_block,
    profile_of,
    stored_profile,
    term_block_keys,
)
from app.engine.ports import ResolutionUnit
from app.engine.scoring import anchor_of, match_weight, source_of
from graph_models.records import NormalisedRecord

#: The rule name written on SIMILAR links.
SIMILARITY_RULE = "fellegi_sunter"
#: Separates the two record keys of a pair in ``SIMILAR.pairs``.
PAIR_SEPARATOR = " ~ "

Pair = tuple[str, str]


@dataclass(frozen=True)
class MatchingConfig:
    """Knobs of probabilistic matching (README, configuration).

    Attributes:
        enabled: compare records by their attributes at all.
        max_block: a block with more records than this yields no candidates.
        min_probability: weaker pairs are not stored as evidence.
        one_per_person: sources that list every person once: two of their records are
            never compared (they cannot be one person).
    """

    enabled: bool = True
    max_block: int = 200
    min_probability: float = 0.05
    one_per_person: frozenset[str] = frozenset()


def profile_of_record(record: NormalisedRecord) -> MatchProfile | None:
    """The matcher's view of a normalised record (None: not enough to match on)."""
    return profile_of(record.key, record.attributes, [i.key for i in record.identifiers])


def record_anchor(identifier_keys: Iterable[str]) -> str | None:
    """The identifier a record's similarity evidence hangs on (None: no identifier)."""
    keys = list(identifier_keys)
    return anchor_of(keys) if keys else None


def pair_key(a: str, b: str) -> str:
    """``"crm|1 ~ orders|7"`` with the lower record key first."""
    return f"{min(a, b)}{PAIR_SEPARATOR}{max(a, b)}"


def split_pair_key(text: str) -> Pair:
    a, _, b = text.partition(PAIR_SEPARATOR)
    return a, b


@dataclass
class _Evidence:
    """One SIMILAR link being rebuilt: record pair -> (probability, comparison JSON)."""

    pairs: dict[str, tuple[float, str]] = field(default_factory=dict)
    stored: dict[str, tuple[float, str]] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None


@dataclass
class _Known:
    """Profiles, identifier keys and times of the records a refresh has in hand."""

    profiles: dict[str, MatchProfile] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)
    times: dict[str, datetime] = field(default_factory=dict)

    def load(self, unit: ResolutionUnit, keys: Iterable[str]) -> None:
        """Read the records among ``keys`` not in hand yet."""
        missing = sorted(set(keys) - set(self.ids))
        for row in unit.match_profiles(missing) if missing else []:
            self.ids[row["key"]] = row["identifiers"]
            self.times[row["key"]] = row["observed_at"]
            profile = stored_profile(
                row["key"], tuple(row["attributes"].items()), tuple(row["identifiers"])
            )
            if profile is not None:
                self.profiles[row["key"]] = profile


@dataclass
class SimilarityUpdate:
    """What a refresh wrote: the new probability of every SIMILAR link it upserted, the
    anchor pairs it deleted, and every identifier whose links changed."""

    written: dict[Pair, float] = field(default_factory=dict)
    deleted: list[Pair] = field(default_factory=list)
    endpoints: set[str] = field(default_factory=set)


def best_pairs(
    dirty: Mapping[str, MatchProfile],
    candidates: Mapping[str, set[str]],
    profiles: Mapping[str, MatchProfile],
    model: MatchModel,
    min_probability: float,
    one_per_person: frozenset[str] = frozenset(),
) -> dict[Pair, ScoredPair]:
    """Score each dirty record against its candidates; keep pairs worth storing.

    Args:
        dirty: record key -> profile, the records to (re-)match.
        candidates: record key -> records sharing an active block with it.
        profiles: profiles of every candidate.
        model: the active match model.
        min_probability: pairs below are not evidence.
        one_per_person: sources whose records are never paired with each other.

    Returns:
        ``(a, b)`` record keys (a < b) -> scored pair.
    """
    kept: dict[Pair, ScoredPair] = {}
    done: set[Pair] = set()
    for key in sorted(dirty):
        mine = dirty[key]
        for other in sorted(candidates.get(key, ())):
            if other == key:
                continue
            pair = (key, other) if key < other else (other, key)
            if pair in done:
                continue
            done.add(pair)
            theirs = profiles.get(other)
            if theirs is None or mine.identifiers & theirs.identifiers:
                continue
            if one_per_person and cannot_match(key, other, one_per_person):
                continue
            # the cheap score first; the full explanation only for pairs worth keeping
            if model.reaches(mine, theirs, min_probability):
                kept[pair] = model.score_pair(mine, theirs)
    return kept


class SimilarityMatcher:
    """Keeps the blocks and the SIMILAR evidence of the graph in step with its records."""

    def __init__(self, config: MatchingConfig | None = None) -> None:
        self.config = config or MatchingConfig()

    def refresh(
        self,
        unit: ResolutionUnit,
        model: MatchModel,
        written: Sequence[NormalisedRecord],
        replaced: Mapping[str, Sequence[str]],
    ) -> SimilarityUpdate:
        """Re-match records just written (and those whose blocks flipped) in one transaction.

        Args:
            unit: the open transaction (records and observations already written).
            model: the match model to score with.
            written: records written in this batch, new or with new content.
            replaced: record key -> its identifier keys before this batch, for records
                that existed already (their old evidence and blocks go).

        Returns:
            The SIMILAR links written or deleted and the identifiers they touch.
        """
        if not self.config.enabled:
            return SimilarityUpdate()
        cap = self.config.max_block
        profiles: dict[str, MatchProfile] = {}
        for record in written:
            profile = profile_of_record(record)
            if profile is not None:
                profiles[record.key] = profile
        # Block sizes before and after this batch tell which blocks crossed the cap.
        delta: dict[str, int] = defaultdict(int)
        final: dict[str, int] = {}
        if replaced:
            for block, size, lost in unit.remove_block_memberships(sorted(replaced)):
                final[block] = size
                delta[block] -= lost
        # Term blocks count how many records hold each value (term frequencies); they
        # never make candidates, and which pairs are compared does not depend on them.
        rows = [
            {"record": key, "block": block}
            for key, profile in sorted(profiles.items())
            for block in (*blocking_keys(profile), *term_block_keys(profile, DEFAULT_COMPARISONS))
        ]
        if rows:
            added: dict[str, int] = {}
            for block, size in unit.add_block_memberships(rows):
                added[block] = max(size, added.get(block, 0))
            final.update(added)
            for row in rows:
                delta[row["block"]] += 1
        flipped = sorted(
            block
            for block, size in final.items()
            if not is_term_block(block) and (size - delta[block] <= cap) != (size <= cap)
        )
        dirty_keys = set(profiles) | set(replaced)
        # Records new in this batch have no stored evidence yet; the others (replaced, or
        # in a block that flipped) may, and their links are rebuilt whole.
        fresh = set(profiles) - set(replaced)
        if flipped:
            for members in unit.block_members(flipped, None).values():
                dirty_keys.update(members)
                fresh.difference_update(members)
        known = _Known(profiles=profiles)
        for record in written:
            known.ids[record.key] = [i.key for i in record.identifiers]
            known.times[record.key] = record.observed_at
        return self._rematch(unit, model, dirty_keys, known, replaced, fresh)

    def rematch(
        self, unit: ResolutionUnit, model: MatchModel, keys: Sequence[str]
    ) -> SimilarityUpdate:
        """Re-score the similarity evidence of stored records (after a new model is fitted).

        Args:
            unit: the open transaction.
            model: the model to score with.
            keys: record keys to re-match against their current candidates.
        """
        if not self.config.enabled:
            return SimilarityUpdate()
        return self._rematch(unit, model, set(keys), _Known(), {}, set())

    def _rematch(
        self,
        unit: ResolutionUnit,
        model: MatchModel,
        dirty_keys: set[str],
        known: _Known,
        replaced: Mapping[str, Sequence[str]],
        fresh: set[str],
    ) -> SimilarityUpdate:
        cap = self.config.max_block
        known.load(unit, dirty_keys - set(replaced))
        profiles, known_ids, times = known.profiles, known.ids, known.times
        dirty = {k: profiles[k] for k in dirty_keys if k in profiles}

        # Candidates: the members of every active block of a dirty record.
        blocks_of = {key: blocking_keys(profile) for key, profile in dirty.items()}
        wanted = sorted({b for blocks in blocks_of.values() for b in blocks})
        members = unit.block_members(wanted, cap) if wanted else {}
        candidates = {
            key: {m for b in blocks for m in members.get(b, ())} - {key}
            for key, blocks in blocks_of.items()
        }
        known.load(unit, {m for ms in candidates.values() for m in ms})
        kept = best_pairs(
            dirty,
            candidates,
            profiles,
            model,
            self.config.min_probability,
            self.config.one_per_person,
        )

        # Rebuild every SIMILAR link at an anchor (old or new) of a dirty record that may
        # have stored evidence; for new records only the links their new pairs land on.
        anchors_now = {k: record_anchor(ids) for k, ids in known_ids.items()}
        whole: set[str] = set()
        for key in dirty_keys - fresh:
            if (now := anchors_now.get(key)) is not None:
                whole.add(now)
            if key in replaced and (old := record_anchor(replaced[key])) is not None:
                whole.add(old)
        landing: set[Pair] = set()
        for a, b in kept:
            anchor_a, anchor_b = anchors_now.get(a), anchors_now.get(b)
            if anchor_a is None or anchor_b is None or anchor_a == anchor_b:
                continue
            pair = (anchor_a, anchor_b) if anchor_a < anchor_b else (anchor_b, anchor_a)
            if pair[0] not in whole and pair[1] not in whole:
                landing.add(pair)
        anchors = whole | {k for pair in landing for k in pair}
        if not anchors:
            return SimilarityUpdate()
        unit.lock_identifiers(sorted(anchors))
        links: dict[Pair, _Evidence] = {}
        stored: set[Pair] = set()
        rows = unit.similar_of(sorted(whole)) if whole else []
        rows += unit.similar_between(sorted(landing)) if landing else []
        for row in rows:
            pair = (row["a"], row["b"])
            if pair in stored:
                continue
            stored.add(pair)
            evidence = links.setdefault(pair, _Evidence())
            evidence.first, evidence.last = row["first_seen"], row["last_seen"]
            for text, p, comparison in zip(
                row["pairs"], row["pair_probabilities"], row["comparisons"], strict=True
            ):
                a, b = split_pair_key(text)
                evidence.stored[text] = (p, comparison)
                if a not in dirty_keys and b not in dirty_keys:
                    evidence.pairs[text] = (p, comparison)
        for (a, b), scored in kept.items():
            anchor_a, anchor_b = anchors_now.get(a), anchors_now.get(b)
            if anchor_a is None or anchor_b is None or anchor_a == anchor_b:
                continue
            pair = (anchor_a, anchor_b) if anchor_a < anchor_b else (anchor_b, anchor_a)
            links.setdefault(pair, _Evidence()).pairs[pair_key(a, b)] = (
                scored.match_probability,
                scored.comparison_json(),
            )
        return self._write(unit, model, links, stored, times)

    @staticmethod
    def _write(
        unit: ResolutionUnit,
        model: MatchModel,
        links: dict[Pair, _Evidence],
        stored: set[Pair],
        times: dict[str, datetime],
    ) -> SimilarityUpdate:
        update = SimilarityUpdate()
        # An edge that only gained pairs widens its stored span; one that lost pairs is
        # re-spanned from all its records.
        lost = {pair for pair, e in links.items() if any(text not in e.pairs for text in e.stored)}
        need = sorted(
            {
                k
                for pair, e in links.items()
                for text in (e.pairs if pair in lost else set(e.pairs) - set(e.stored))
                for k in split_pair_key(text)
            }
            - set(times)
        )
        if need:
            times.update(unit.record_times(need))
        rows: list[dict[str, Any]] = []
        for pair, evidence in sorted(links.items()):
            if evidence.pairs == evidence.stored:
                continue
            if not evidence.pairs:
                if pair in stored:
                    update.deleted.append(pair)
                    update.endpoints.update(pair)
                continue
            texts = sorted(evidence.pairs)
            records = sorted({k for t in texts for k in split_pair_key(t)})
            spanned = (
                records
                if pair in lost
                else {k for t in texts if t not in evidence.stored for k in split_pair_key(t)}
            )
            stamps = [times[r] for r in spanned if r in times]
            if pair not in lost and evidence.first is not None and evidence.last is not None:
                stamps += [evidence.first, evidence.last]
            best = max(evidence.pairs[t][0] for t in texts)
            rows.append(
                {
                    "a": pair[0],
                    "b": pair[1],
                    "rule": SIMILARITY_RULE,
                    "pairs": texts,
                    "pair_probabilities": [evidence.pairs[t][0] for t in texts],
                    "comparisons": [evidence.pairs[t][1] for t in texts],
                    "records": records,
                    "sources": sorted({source_of(r) for r in records}),
                    "first": min(stamps).isoformat(),
                    "last": max(stamps).isoformat(),
                    "p": best,
                    "w": match_weight(best),
                    "model": model.version,
                }
            )
            update.written[pair] = best
            update.endpoints.update(pair)
        if update.deleted:
            unit.delete_similar(update.deleted)
        if rows:
            unit.upsert_similar(rows)
        return update
