"""The graph a set of records resolves to, computed in memory with the engine's functions.

A bulk load is one live batch on an empty graph, computed without Neo4j:

* co-observation evidence: the engine's star links (:func:`~app.engine.scoring.record_links`)
  scored by :func:`~app.engine.scoring.link_probability`;
* look-alike evidence: every record's blocks (:func:`~app.engine.matching.blocking_keys`),
  its candidates in the blocks of at most ``max_block`` members, scored by
  :func:`~app.engine.similarity.best_pairs` with the match model, grouped into SIMILAR
  links between anchors as :class:`~app.engine.similarity.SimilarityMatcher` stores them;
* term blocks (:func:`~app.engine.matching.term_block_keys`), so later live ingests and
  ``idgraph model fit`` find the counts the live path keeps;
* shared identifiers and customers from :func:`~app.engine.recluster.partition_graph`,
  the from-scratch clustering the live path is tested against, with the record attributes
  the attribute policies check (:func:`~app.engine.recluster.record_attributes`);
* one ``created`` history event per customer, with the reason and trigger record a single
  live batch of all the records would give;
* consent: the statements stay on their records, and the ``consent`` events and derived
  consent of that batch come from the live path's history (:mod:`app.bulk.consent`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.bulk.consent import BulkConsent, bulk_consent
from app.bulk.parallel import fork_map
from app.engine.clustering import Link
from app.engine.matching import (
    DEFAULT_COMPARISONS,
    MatchModel,
    MatchProfile,
    blocking_keys,
    term_block_keys,
)
from app.engine.recluster import GraphPartition, partition_graph, record_attributes
from app.engine.resolution import ResolutionConfig, Resolver, new_customer_id
from app.engine.resolution.config import Pair, kind_of
from app.engine.scoring import ScoringConfig, link_probability, record_links, source_of
from app.engine.similarity import best_pairs, pair_key, profile_of_record, record_anchor
from graph_models.records import NormalisedRecord

#: ``phase(name, total)`` starts a phase and returns ``advance(n)`` for its progress.
Phase = Callable[[str, int | None], Callable[[int], None]]


def no_progress(_name: str, _total: int | None) -> Callable[[int], None]:
    return lambda _n: None


@dataclass
class IdentifierStats:
    """What an identifier node holds besides its customer: first/last seen, sources."""

    first: datetime
    last: datetime
    sources: list[str] = field(default_factory=list)
    count: int = 0


@dataclass
class SimilarEvidence:
    """One SIMILAR link: record pair text (``a ~ b``) -> (probability, comparison JSON)."""

    pairs: dict[str, tuple[float, str]] = field(default_factory=dict)
    records: set[str] = field(default_factory=set)

    @property
    def probability(self) -> float:
        return max(p for p, _ in self.pairs.values())


@dataclass(frozen=True)
class BulkCustomer:
    """A customer as the bulk load creates it (its ``created`` event included)."""

    customer_id: str
    members: frozenset[str]
    confidence: float
    weakest: str | None
    trigger: str

    @property
    def reason(self) -> str:
        return f"new identifiers observed by {self.trigger}"


@dataclass
class BulkGraph:
    """Everything the bulk load writes: records, identifiers, evidence, blocks, customers."""

    records: list[NormalisedRecord]
    identifiers: dict[str, IdentifierStats]
    links: dict[Pair, list[str]]
    link_probability: dict[Pair, float]
    similar: dict[Pair, SimilarEvidence]
    blocks: dict[str, list[str]]
    shared_reason: dict[str, str]
    partition: GraphPartition
    customers: list[BulkCustomer]
    model_version: str | None
    consent: BulkConsent = field(default_factory=BulkConsent)

    @property
    def observations(self) -> int:
        return sum(len(r.identifiers) for r in self.records)

    @property
    def memberships(self) -> int:
        return sum(len(c.members) for c in self.customers)

    @property
    def block_memberships(self) -> int:
        return sum(len(m) for m in self.blocks.values())

    @property
    def events(self) -> int:
        """History events: a ``created`` one per customer, then the ``consent`` ones."""
        return len(self.customers) + len(self.consent.events)

    def record_times(self) -> dict[str, datetime]:
        return {r.key: r.observed_at for r in self.records}


def latest_records(records: Iterable[NormalisedRecord]) -> list[NormalisedRecord]:
    """One record per key, the last sent winning (as a re-sent record replaces), by key."""
    latest: dict[str, NormalisedRecord] = {}
    for record in records:
        latest[record.key] = record
    return [latest[k] for k in sorted(latest)]


def build_graph(
    records: Iterable[NormalisedRecord],
    config: ResolutionConfig,
    model: MatchModel | None,
    phase: Phase = no_progress,
    workers: int = 1,
) -> BulkGraph:
    """The graph the live engine would hold once every record is ingested.

    Args:
        records: normalised records (a key sent twice keeps its last content).
        config: the engine's configuration (scoring, policies, threshold, matching).
        model: the match model for look-alike evidence (None: no attribute matching).
        phase: progress of each phase (see :data:`Phase`).
        workers: processes for the look-alike scoring and the clustering's cuts (the result
            does not depend on it).
    """
    ordered = latest_records(records)
    identifiers, links = co_observations(ordered, config, phase)
    probability = _link_probabilities(links, config.scoring)
    blocks, profiles = record_blocks(ordered, phase) if model is not None else ({}, {})
    similar = (
        look_alikes(ordered, blocks, profiles, config, model, phase, workers)
        if model is not None and config.matching.enabled
        else {}
    )
    if model is None or not config.matching.enabled:
        blocks = {}
    advance = phase("clustering", None)
    kinds = {key: kind_of(key) for key in identifiers}
    partition = partition_graph(
        kinds,
        probability,
        config,
        similar={pair: e.probability for pair, e in similar.items()},
        attributes=record_attributes(ordered, config.attribute_policies),
        mapper=lambda task, items: fork_map(task, items, workers),
    )
    customers = customers_of(partition, ordered)
    consent = bulk_consent(ordered, {c.customer_id: c.members for c in customers})
    advance(1)
    return BulkGraph(
        records=ordered,
        identifiers=identifiers,
        links=links,
        link_probability=probability,
        similar=similar,
        blocks=blocks,
        shared_reason=shared_reasons(partition, probability, config),
        partition=partition,
        customers=customers,
        model_version=model.version if model is not None and similar else None,
        consent=consent,
    )


def _link_probabilities(
    links: Mapping[Pair, Sequence[str]], config: ScoringConfig
) -> dict[Pair, float]:
    """:func:`~app.engine.scoring.link_probability` of every link (identifier keys -> its
    records), computed once per pattern: links of the same two kinds whose records come
    from the same sources in the same order have the same probability, and a whole graph
    holds few patterns (most links rest on one record)."""
    known: dict[tuple[str, str, tuple[str, ...]], float] = {}
    out: dict[Pair, float] = {}
    for (a, b), records in links.items():
        pattern = (kind_of(a), kind_of(b), tuple([source_of(r) for r in records]))
        p = known.get(pattern)
        if p is None:
            p = known[pattern] = link_probability(pattern[0], pattern[1], records, config)
        out[(a, b)] = p
    return out


def co_observations(
    ordered: list[NormalisedRecord], config: ResolutionConfig, phase: Phase
) -> tuple[dict[str, IdentifierStats], dict[Pair, list[str]]]:
    """Identifier statistics and the records behind every co-observation link."""
    advance = phase("co-observation evidence", len(ordered))
    stats: dict[str, IdentifierStats] = {}
    links: dict[Pair, list[str]] = defaultdict(list)
    for done, record in enumerate(ordered, 1):
        at, source = record.observed_at, record.source
        keys = [i.key for i in record.identifiers]  # a property: built once per record
        for key in keys:
            s = stats.get(key)
            if s is None:
                stats[key] = IdentifierStats(at, at, [source], 1)
                continue
            if at < s.first:
                s.first = at
            elif at > s.last:
                s.last = at
            if source not in s.sources:
                s.sources.append(source)
            s.count += 1
        if len(keys) > 1:
            record_key = record.key
            for pair in record_links(keys):
                links[pair].append(record_key)
        if done % 10_000 == 0:
            advance(10_000)
    advance(len(ordered) % 10_000)
    return stats, dict(links)


def record_blocks(
    ordered: list[NormalisedRecord], phase: Phase
) -> tuple[dict[str, list[str]], dict[str, MatchProfile]]:
    """Block key -> member record keys (blocking and term blocks), and the profiles."""
    advance = phase("profiles and blocks", len(ordered))
    blocks: dict[str, list[str]] = defaultdict(list)
    profiles: dict[str, MatchProfile] = {}
    for done, record in enumerate(ordered, 1):
        profile = profile_of_record(record)
        if profile is not None:
            profiles[record.key] = profile
            for block in (*blocking_keys(profile), *term_block_keys(profile, DEFAULT_COMPARISONS)):
                blocks[block].append(record.key)
        if done % 10_000 == 0:
            advance(10_000)
    advance(len(ordered) % 10_000)
    return dict(blocks), profiles


#: Records scored per task of the look-alike phase.
SCORING_CHUNK = 2_000


@dataclass(frozen=True)
class ChunkScorer:
    """Scores a chunk of records against their candidates of higher key (every pair once).

    A pure function of the records' blocks and profiles, so chunks are scored in worker
    processes (:func:`~app.bulk.parallel.fork_map`) and merged in order.
    """

    keys: list[str]
    blocks: dict[str, list[str]]
    profiles: dict[str, MatchProfile]
    model: MatchModel
    max_block: int
    min_probability: float

    def __call__(self, start: int) -> list[tuple[str, str, float, str]]:
        """``(a, b, match probability, comparison JSON)`` of the kept pairs of the chunk
        of keys beginning at ``start``."""
        dirty = {k: self.profiles[k] for k in self.keys[start : start + SCORING_CHUNK]}
        candidates: dict[str, set[str]] = {}
        for key, profile in dirty.items():
            mine: set[str] = set()
            for block in blocking_keys(profile):
                members = self.blocks.get(block, ())
                if len(members) <= self.max_block:
                    mine.update(m for m in members if m > key)
            candidates[key] = mine
        kept = best_pairs(dirty, candidates, self.profiles, self.model, self.min_probability)
        return [(a, b, s.match_probability, s.comparison_json()) for (a, b), s in kept.items()]


def look_alikes(
    ordered: list[NormalisedRecord],
    blocks: dict[str, list[str]],
    profiles: dict[str, MatchProfile],
    config: ResolutionConfig,
    model: MatchModel,
    phase: Phase,
    workers: int = 1,
) -> dict[Pair, SimilarEvidence]:
    """SIMILAR links between anchors: every candidate pair scored, those worth keeping.

    Records are scored in chunks with :func:`~app.engine.similarity.best_pairs`, each
    against its candidates of higher key, so every pair is scored once; the chunks run in
    ``workers`` processes and are merged in key order.
    """
    anchors = {r.key: record_anchor(i.key for i in r.identifiers) for r in ordered}
    keys = sorted(profiles)
    advance = phase("look-alike scoring", len(keys))
    scorer = ChunkScorer(
        keys, blocks, profiles, model, config.matching.max_block, config.matching.min_probability
    )
    similar: dict[Pair, SimilarEvidence] = {}
    starts = range(0, len(keys), SCORING_CHUNK)
    for start, kept in zip(starts, fork_map(scorer, starts, workers), strict=True):
        for a, b, probability, comparison in kept:
            anchor_a, anchor_b = anchors[a], anchors[b]
            if anchor_a is None or anchor_b is None or anchor_a == anchor_b:
                continue
            pair = (anchor_a, anchor_b) if anchor_a < anchor_b else (anchor_b, anchor_a)
            evidence = similar.setdefault(pair, SimilarEvidence())
            evidence.pairs[pair_key(a, b)] = (probability, comparison)
            evidence.records.update((a, b))
        advance(min(SCORING_CHUNK, len(keys) - start))
    return similar


def shared_reasons(
    partition: GraphPartition, probability: dict[Pair, float], config: ResolutionConfig
) -> dict[str, str]:
    """Shared identifier -> why (the reason the live quarantine writes)."""
    shared = {k for k, s in partition.shared.items() if s}
    if not shared:
        return {}
    resolver = Resolver(config)
    neighbour_kinds: dict[str, dict[str, int]] = {k: defaultdict(int) for k in shared}
    for a, b in probability:
        if a in neighbour_kinds:
            neighbour_kinds[a][kind_of(b)] += 1
        if b in neighbour_kinds:
            neighbour_kinds[b][kind_of(a)] += 1
    return {
        key: resolver.shared_verdict(kind_of(key), dict(counts))[1] or "shared"
        for key, counts in neighbour_kinds.items()
    }


def customers_of(partition: GraphPartition, ordered: list[NormalisedRecord]) -> list[BulkCustomer]:
    """A new customer per group; its trigger is the first record (by key) observing it."""
    first_record: dict[str, str] = {}
    for record in ordered:  # sorted by key
        for ident in record.identifiers:
            first_record.setdefault(ident.key, record.key)
    clustering = partition.clustering
    customers = []
    for group in sorted(clustering.groups, key=min):
        link: Link | None = clustering.weakest[group]
        customers.append(
            BulkCustomer(
                customer_id=new_customer_id(),
                members=group,
                confidence=clustering.confidence[group],
                weakest=f"{link.a} -- {link.b} (p={link.p:.4f})" if link else None,
                trigger=min(first_record[k] for k in group),
            )
        )
    return customers
