"""From-scratch clustering of a whole graph, and ``idgraph recluster``.

:func:`partition_graph` is the reference: given every identifier, link and the
attributes the attribute policies check, it decides shared identifiers and customers
exactly as the incremental path does (same verdict, same
:func:`~app.engine.clustering.cluster`). :func:`partition_records` builds that graph
straight from records, without Neo4j: the oracle the tests compare the store against.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from app.engine.clustering import (
    RECORD_FIELD,
    AttributePolicy,
    Clustering,
    Link,
    Mapper,
    NodeAttributes,
    cluster,
    node_attributes,
)
from app.engine.core import Engine
from app.engine.matching import MatchModel, candidate_pairs
from app.engine.ports import AttributeReader, GraphScan, ResolutionUnit
from app.engine.resolution import ResolutionConfig, Resolver, Scope
from app.engine.scoring import link_probability, record_links
from app.engine.similarity import profile_of_record, record_anchor
from graph_models.customers import Change
from graph_models.records import NormalisedRecord


@dataclass
class GraphPartition:
    shared: dict[str, bool]
    clustering: Clustering

    def groups(self) -> set[frozenset[str]]:
        return set(self.clustering.groups)


def partition_graph(
    kinds: Mapping[str, str],
    links: Mapping[tuple[str, str], float],
    config: ResolutionConfig,
    overrides: Iterable[dict[str, Any]] = (),
    similar: Mapping[tuple[str, str], float] | None = None,
    attributes: NodeAttributes | None = None,
    mapper: Mapper | None = None,
) -> GraphPartition:
    """Shared verdicts and customers of a whole graph.

    Args:
        kinds: identifier key -> kind, for every identifier.
        links: ``(a, b)`` with ``a < b`` -> match probability, for every LINKED link.
        config: the engine's configuration.
        overrides: analysts' same/different decisions (override_id, a, b, decision, ...).
        similar: ``(a, b)`` -> match probability of every SIMILAR link. They join
            customers like LINKED ones (a pair counts with its stronger evidence) but do
            not count towards the shared rule.
        attributes: identifier -> policy field -> ``(record key, cleaned value)`` pairs
            (:func:`~app.engine.clustering.node_attributes`; :func:`record_attributes`
            from records). None: the attribute policies have nothing to check.
        mapper: how components are cut (:data:`~app.engine.clustering.Mapper`; the bulk
            load's worker processes); in this process by default.
    """
    resolver = Resolver(config)
    neighbour_kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a, b in links:
        neighbour_kinds[a][kinds[b]] += 1
        neighbour_kinds[b][kinds[a]] += 1
    shared = {
        key: resolver.shared_verdict(kind, neighbour_kinds.get(key, {}))[0]
        for key, kind in kinds.items()
    }
    combined = dict(links)
    for pair, p in (similar or {}).items():
        combined[pair] = max(p, combined.get(pair, 0.0))
    joinable = [
        Link(a, b, p)
        for (a, b), p in combined.items()
        if not shared[a] and not shared[b] and p >= config.threshold
    ]
    scope = Scope(shared=shared, overrides={o["override_id"]: o for o in overrides})
    nodes = [k for k, s in shared.items() if not s]
    return GraphPartition(
        shared,
        cluster(
            nodes,
            joinable + scope.must_links(),
            config.policies,
            config.threshold,
            scope.cannot_links(),
            config.attribute_policies,
            attributes,
            mapper,
        ),
    )


def partition_records(
    records: Iterable[NormalisedRecord],
    config: ResolutionConfig | None = None,
    model: MatchModel | None = None,
) -> GraphPartition:
    """The oracle: what the graph of ``records`` must resolve to (last content per key wins).

    With a ``model``, similarity evidence is computed the batch way (all candidate pairs of
    :func:`app.engine.matching.candidate_pairs` at once), which the live path must equal.
    """
    config = config or ResolutionConfig()
    latest: dict[str, NormalisedRecord] = {}
    for record in records:
        latest[record.key] = record
    kinds: dict[str, str] = {}
    evidence: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in latest.values():
        for ident in record.identifiers:
            kinds[ident.key] = ident.kind
        for a, b in record_links(i.key for i in record.identifiers):
            evidence[(a, b)].add(record.key)
    links = {
        (a, b): link_probability(kinds[a], kinds[b], recs, config.scoring)
        for (a, b), recs in evidence.items()
    }
    similar = similar_links(latest.values(), config, model) if model is not None else {}
    attributes = record_attributes(latest.values(), config.attribute_policies)
    return partition_graph(kinds, links, config, similar=similar, attributes=attributes)


def record_attributes(
    records: Iterable[NormalisedRecord], policies: Iterable[AttributePolicy]
) -> dict[str, dict[str, set[tuple[str, str]]]]:
    """What the attribute policies check, straight from records: each record's attributes
    belong to every identifier it observed (its ``record`` identifier, if it has no other)."""
    policies = tuple(policies)
    records = list(records)
    fields = sorted({name for policy in policies for name in policy.fields})
    # each record's values cleaned once (as if the record were the node), then handed to
    # every identifier it observed: a record's values are the same for all of them
    own = node_attributes(
        (
            (record.key, record.key, name, value)
            for record in records
            for name in fields
            if (value := record.key if name == RECORD_FIELD else record.attributes.get(name))
        ),
        policies,
    )
    held: dict[str, dict[str, set[tuple[str, str]]]] = {}
    for record in records:
        values = own.get(record.key)
        if not values:
            continue
        for ident in record.identifiers:
            mine = held.setdefault(ident.key, {})
            for field, pairs in values.items():
                mine.setdefault(field, set()).update(pairs)
    return held


def similar_links(
    records: Iterable[NormalisedRecord], config: ResolutionConfig, model: MatchModel
) -> dict[tuple[str, str], float]:
    """Anchor pair -> probability of the SIMILAR links a set of records gives."""
    if not config.matching.enabled:
        return {}
    anchors: dict[str, str | None] = {}
    profiles = []
    for record in records:
        anchors[record.key] = record_anchor(i.key for i in record.identifiers)
        profile = profile_of_record(record)
        if profile is not None:
            profiles.append(profile)
    similar: dict[tuple[str, str], float] = {}
    for mine, theirs in candidate_pairs(
        profiles, config.matching.max_block, config.matching.one_per_person
    ):
        scored = model.score_pair(mine, theirs)
        if scored.match_probability < config.matching.min_probability:
            continue
        a, b = anchors[mine.key], anchors[theirs.key]
        if a is None or b is None or a == b:
            continue
        pair = (a, b) if a < b else (b, a)
        similar[pair] = max(scored.match_probability, similar.get(pair, 0.0))
    return similar


@dataclass
class ReclusterReport:
    identifiers: int
    links: int
    customers: int
    shared: int
    differing_identifiers: int
    regions_rewritten: int


def stored_partition(customer_of: Mapping[str, str | None]) -> set[frozenset[str]]:
    """Customers as sets of identifier keys, from ``key -> customer_id``."""
    groups: dict[str, set[str]] = defaultdict(set)
    for key, cid in customer_of.items():
        if cid is not None:
            groups[cid].add(key)
    return {frozenset(g) for g in groups.values()}


def differing_regions(
    reference: GraphPartition,
    stored_shared: Mapping[str, bool],
    customer_of: Mapping[str, str | None],
) -> list[set[str]]:
    """Sets of identifiers whose stored customers differ from the reference partition.

    Each region is closed under both partitions (a new group and every old customer it
    touches), so rewriting a region never tears another customer apart.
    """
    stored = stored_partition(customer_of)
    reference_groups = reference.groups()
    wrong: set[str] = set()
    for group in reference_groups - stored:
        wrong |= group
    for group in stored - reference_groups:
        wrong |= group
    wrong |= {k for k, s in reference.shared.items() if stored_shared.get(k, False) != s}
    if not wrong:
        return []
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(keys: Iterable[str]) -> None:
        first = None
        for key in keys:
            if first is None:
                first = find(key)
            else:
                parent[find(key)] = first

    for group in itertools.chain(reference_groups, stored):
        if group & wrong:
            union(group)
    for key in wrong:
        find(key)
    regions: dict[str, set[str]] = defaultdict(set)
    for key in list(parent):
        regions[find(key)].add(key)
    return list(regions.values())


def now_utc() -> datetime:
    return datetime.now(UTC)


class ReclusterService:
    """``idgraph recluster``: the whole graph clustered from scratch, what differs repaired.

    Args:
        store: the whole graph, page by page, and write transactions for the repairs.
        engine: the resolver (its configuration and re-evaluation).
    """

    def __init__(self, store: GraphScan, engine: Engine) -> None:
        self.store = store
        self.engine = engine

    def recluster(
        self, dry_run: bool = False, progress: Callable[[str], None] | None = None
    ) -> ReclusterReport:
        """Re-cluster the whole graph from scratch and repair what differs.

        Reads every identifier and link, computes the reference partition with the same
        clustering as the incremental path, and rewrites only the regions whose stored
        customers or shared flags differ (none, when incremental resolution is correct).
        """
        say = progress or (lambda _: None)
        resolver = self.engine.resolver
        kinds: dict[str, str] = {}
        stored_shared: dict[str, bool] = {}
        customer_of: dict[str, str | None] = {}
        for row in self.store.iter_identifiers():
            kinds[row["key"]] = row["kind"]
            stored_shared[row["key"]] = bool(row["shared"])
            customer_of[row["key"]] = row["customer_id"]
        say(f"read {len(kinds)} identifiers")
        links: dict[tuple[str, str], float] = {}
        similar: dict[tuple[str, str], float] = {}
        ordered = sorted(kinds)
        for start in range(0, len(ordered), 20_000):
            after = ordered[start - 1] if start else ""
            upto = ordered[min(start + 20_000, len(ordered)) - 1]
            for link in self.store.links_between(after, upto):
                target = similar if link["type"] == "SIMILAR" else links
                target[(link["a"], link["b"])] = link["p"]
        say(f"read {len(links)} links and {len(similar)} similarity links")
        policies = resolver.config.attribute_policies
        fields = sorted({name for policy in policies for name in policy.fields})

        def read(unit: AttributeReader, page: list[str]) -> list[tuple[str, str, str, str]]:
            return unit.policy_attributes(page, fields)

        def observed() -> Iterator[tuple[str, str, str, str]]:
            for start in range(0, len(ordered) if fields else 0, 20_000):
                page = ordered[start : start + 20_000]
                yield from self.store.in_read_transaction(partial(read, page=page))

        attributes = node_attributes(observed(), policies)
        say(f"read the attributes the attribute policies check of {len(attributes)} identifiers")
        reference = partition_graph(
            kinds, links, resolver.config, self.store.all_overrides(), similar, attributes
        )
        regions = differing_regions(reference, stored_shared, customer_of)
        differing = sum(len(r) for r in regions)
        if not dry_run:
            now = datetime.now(UTC)
            for region in regions:
                flips = [
                    {"key": k, "shared": reference.shared[k], "reason": "recluster"}
                    for k in sorted(region)
                    if k in reference.shared and reference.shared[k] != stored_shared.get(k)
                ]

                def work(
                    unit: ResolutionUnit,
                    region: set[str] = region,
                    flips: list[dict[str, Any]] = flips,
                ) -> list[Change]:
                    if flips:
                        unit.set_shared(flips)
                    return resolver.reevaluate(unit, region, now).changes

                self.store.in_write_transaction(work)
        return ReclusterReport(
            identifiers=len(kinds),
            links=len(links) + len(similar),
            customers=len(reference.clustering.groups),
            shared=sum(reference.shared.values()),
            differing_identifiers=differing,
            regions_rewritten=0 if dry_run else len(regions),
        )
