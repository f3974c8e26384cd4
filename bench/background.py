"""The incremental step's background graph, bulk-loaded with Cypher: a BENCH-ONLY SHORTCUT.

Loading a million identifiers through the engine takes far longer than the measurement
it sets up, so the *background* of the incremental step is computed here and written
straight to Neo4j with the statements in ``bench/cypher/``. The batches the step
measures go through the real API; only the graph they land in is bulk-loaded.

The background is what the engine would have built from the same records:

* records are normalised by the engine's own :class:`~app.engine.normalize.Normaliser`;
* links are the engine's star links (:func:`~app.engine.scoring.record_links`) with its
  match probability and weight, and the records, sources and times it keeps;
* shared identifiers and customers come from
  :func:`~app.engine.recluster.partition_graph`, the from-scratch clustering the engine
  itself uses as the reference for its incremental path, with the record attributes its
  attribute policies check;
* every node and relationship carries the properties the engine's statements write
  (``cypher/queries/upsert_records``, ``upsert_identifiers``, ``create_observations``,
  ``upsert_links``, ``set_shared``, ``upsert_customers``, ``assign_members`` and the
  ``created`` events of ``create_events``). Each file in ``bench/cypher/`` names the
  statement it mirrors, and :func:`property_differences` compares the property names of
  bulk-loaded entities with those of entities the engine wrote in the same run.

What is not reproduced: the history of merges and splits that arriving in stream order
would have left (the background's customers are born as they end up), and lock counters.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from neo4j import Driver, ManagedTransaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.core.config import Settings
from app.engine.clustering import node_attributes
from app.engine.normalize import Normaliser
from app.engine.recluster import partition_graph
from app.engine.resolution import ResolutionConfig, Resolver, new_customer_id
from app.engine.resolution.evidence import record_properties
from app.engine.scoring import CO_OBSERVED, link_probability, match_weight, record_links
from app.sampledata.generator import GroundTruth, Record, iter_records
from graph_models.identifiers import split_identifier_key
from graph_models.records import SourceRecord

CYPHER_DIR = Path(__file__).resolve().parent / "cypher"
#: Rows per bulk transaction.
CHUNK = 10_000

T = TypeVar("T")


@cache
def statement(name: str) -> str:
    """A bench statement from ``bench/cypher/<name>.cypher`` (header comments included)."""
    return (CYPHER_DIR / f"{name}.cypher").read_text(encoding="utf-8").strip()


# ---------------------------------------------------------------------------- population


@dataclass(slots=True)
class CompactRecord:
    """A normalised record, reduced to what the bulk load writes."""

    key: str
    props: dict[str, Any]
    observed_at: datetime
    identifiers: tuple[str, ...]


@dataclass
class Group:
    """People who must stay together: one person, or a household sharing a tablet."""

    people: list[str]
    records: list[CompactRecord] = field(default_factory=list)
    raw: list[Record] = field(default_factory=list)


@dataclass
class Population:
    """One generator run, cut into groups of people in person order."""

    groups: list[Group]
    raw_groups: int
    """The first ``raw_groups`` groups keep their raw records (for the API)."""


def _normaliser(settings: Settings) -> Normaliser:
    return Normaliser(
        settings.default_region, settings.extra_kinds, settings.global_account_sources
    )


def compact(record: Record, normaliser: Normaliser) -> CompactRecord:
    """Normalise a generated record the way the API does and keep what the bulk load needs."""
    normal = normaliser.record(SourceRecord.model_validate(record))
    props = record_properties(normal)
    return CompactRecord(
        key=normal.key,
        props=props,
        observed_at=normal.observed_at,
        identifiers=tuple(i.key for i in normal.identifiers),
    )


def build_population(
    people: int, seed: int, raw_people: int, settings: Settings, progress: Progress
) -> Population:
    """Generate ``people`` people and group their records (households stay together).

    One generator run guarantees that different people never share an identifier of
    their own; the shared ones (support line, placeholder email, cafe devices) are
    shared across the whole population, as in production.

    Args:
        people: people in the run.
        seed: the generator's seed.
        raw_people: persons numbered up to this keep their raw records (to be POSTed).
        settings: normalisation settings (region, extra kinds, account scoping).
        progress: where to show progress.
    """
    normaliser = _normaliser(settings)
    ground = GroundTruth()
    by_person: dict[str, list[CompactRecord]] = defaultdict(list)
    raw_by_person: dict[str, list[Record]] = defaultdict(list)
    tablets: dict[str, set[str]] = defaultdict(set)
    task = progress.add_task("generate + normalise", total=people)
    seen_people: set[str] = set()
    for record in iter_records(people, seed, ground_truth=ground):
        item = compact(record, normaliser)
        owners = {ground.truth[k] for k in item.identifiers if k in ground.truth}
        if len(owners) != 1:
            raise RuntimeError(f"record {item.key} has owners {owners}; expected exactly one")
        (person,) = owners
        by_person[person].append(item)
        if int(person[1:]) <= raw_people:
            raw_by_person[person].append(record)
        for key in item.identifiers:
            if key in ground.household_devices:
                tablets[key].add(person)
        if person not in seen_people:
            seen_people.add(person)
            progress.update(task, completed=len(seen_people))
    progress.update(task, completed=people)

    # Households: persons that share a tablet form one group (their numbers are adjacent).
    group_of: dict[str, str] = {}
    for members in tablets.values():
        first = min(members)
        for person in members:
            group_of[person] = min(group_of.get(person, first), first)
    groups: list[Group] = []
    index: dict[str, Group] = {}
    raw_groups = 0
    for person in sorted(by_person):
        leader = group_of.get(person, person)
        group = index.get(leader)
        if group is None:
            group = index[leader] = Group(people=[])
            groups.append(group)
        group.people.append(person)
        group.records.extend(by_person[person])
        group.raw.extend(raw_by_person.get(person, []))
    for group in groups:
        if all(int(p[1:]) <= raw_people for p in group.people):
            raw_groups += 1
        else:
            break
    return Population(groups=groups, raw_groups=raw_groups)


def pack_batches(groups: Iterable[Group], sizes: Sequence[int]) -> tuple[list[list[Record]], int]:
    """Raw records of whole groups, packed into batches of at most ``sizes[i]`` records.

    Returns the batches and how many groups they used (groups are taken in order).
    """
    batches: list[list[Record]] = []
    used = 0
    it = iter(groups)
    pending: Group | None = None
    for size in sizes:
        batch: list[Record] = []
        while True:
            group = pending if pending is not None else next(it, None)
            pending = None
            if group is None:
                break
            if not group.raw:
                raise RuntimeError("ran out of people with raw records for the fresh batches")
            if batch and len(batch) + len(group.raw) > size:
                pending = group
                break
            batch.extend(group.raw)
            used += 1
            if len(batch) >= size:
                break
        batches.append(batch)
    return batches, used


# ---------------------------------------------------------------------------- the graph


@dataclass
class _IdentifierStats:
    first: datetime
    last: datetime
    sources: list[str]
    count: int = 0


@dataclass
class BackgroundGraph:
    """The engine's view of a set of records: identifiers, links, shared flags, customers."""

    records: list[CompactRecord]
    identifiers: dict[str, _IdentifierStats]
    evidence: dict[tuple[str, str], list[str]]
    probability: dict[tuple[str, str], float]
    shared_reason: dict[str, str]
    customer_of: dict[str, str]
    membership: dict[str, float]
    customers: list[dict[str, Any]]

    @property
    def observations(self) -> int:
        return sum(len(r.identifiers) for r in self.records)


def model_graph(records: Iterable[CompactRecord], config: ResolutionConfig) -> BackgroundGraph:
    """What the engine's graph of ``records`` holds once every record is ingested."""
    latest: dict[str, CompactRecord] = {}
    for record in records:
        latest[record.key] = record  # a re-sent record replaces (here: equals) the first
    ordered = [latest[k] for k in sorted(latest)]
    stats: dict[str, _IdentifierStats] = {}
    evidence: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in ordered:
        source = record.props["source"]
        for key in record.identifiers:
            s = stats.get(key)
            if s is None:
                s = stats[key] = _IdentifierStats(record.observed_at, record.observed_at, [])
            s.first = min(s.first, record.observed_at)
            s.last = max(s.last, record.observed_at)
            if source not in s.sources:
                s.sources.append(source)
            s.count += 1
        for pair in record_links(record.identifiers):
            evidence[pair].append(record.key)
    kinds = {key: split_identifier_key(key)[0] for key in stats}
    probability = {
        (a, b): link_probability(kinds[a], kinds[b], recs, config.scoring)
        for (a, b), recs in evidence.items()
    }
    attributes = node_attributes(
        (
            (key, record.key, name.removeprefix("attr_"), value)
            for record in ordered
            for name, value in record.props.items()
            if name.startswith("attr_")
            for key in record.identifiers
        ),
        config.attribute_policies,
    )
    partition = partition_graph(kinds, probability, config, attributes=attributes)
    resolver = Resolver(config)
    neighbour_kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a, b in probability:
        neighbour_kinds[a][kinds[b]] += 1
        neighbour_kinds[b][kinds[a]] += 1
    shared_reason = {
        key: resolver.shared_verdict(kinds[key], neighbour_kinds[key])[1] or "shared"
        for key, shared in partition.shared.items()
        if shared
    }
    clustering = partition.clustering
    first_record: dict[str, str] = {}
    for record in ordered:  # sorted by key: the first record to observe an identifier
        for key in record.identifiers:
            first_record.setdefault(key, record.key)
    customer_of: dict[str, str] = {}
    customers: list[dict[str, Any]] = []
    for group in clustering.groups:
        cid = new_customer_id()
        link = clustering.weakest[group]
        trigger = min(first_record[k] for k in group)
        customers.append(
            {
                "id": cid,
                "confidence": clustering.confidence[group],
                "size": len(group),
                "weakest": f"{link.a} -- {link.b} (p={link.p:.4f})" if link else None,
                "event_id": f"E-{uuid.uuid4().hex}",
                "reason": f"new identifiers observed by {trigger}",
                "trigger": trigger,
            }
        )
        for key in group:
            customer_of[key] = cid
    return BackgroundGraph(
        records=ordered,
        identifiers=stats,
        evidence=evidence,
        probability=probability,
        shared_reason=shared_reason,
        customer_of=customer_of,
        membership=dict(clustering.membership),
        customers=customers,
    )


# ---------------------------------------------------------------------------- rows


def _record_rows(graph: BackgroundGraph) -> Iterator[dict[str, Any]]:
    for record in graph.records:
        yield {"key": record.key, "props": record.props}


def _identifier_rows(graph: BackgroundGraph) -> Iterator[dict[str, Any]]:
    for key, s in graph.identifiers.items():
        kind, value = split_identifier_key(key)
        customer_id = graph.customer_of.get(key)
        yield {
            "key": key,
            "kind": kind,
            "value": value,
            "shared": key in graph.shared_reason,
            "reason": graph.shared_reason.get(key),
            "first": s.first.isoformat(),
            "last": s.last.isoformat(),
            "sources": s.sources,
            "count": s.count,
            "customer_id": customer_id,
            "confidence": graph.membership.get(key) if customer_id else None,
        }


def _observation_rows(graph: BackgroundGraph) -> Iterator[dict[str, Any]]:
    for record in graph.records:
        for key in record.identifiers:
            yield {"record": record.key, "identifier": key}


def _link_rows(graph: BackgroundGraph) -> Iterator[dict[str, Any]]:
    times = {r.key: r.observed_at for r in graph.records}
    for (a, b), records in graph.evidence.items():
        stamps = [times[r] for r in records]
        p = graph.probability[(a, b)]
        yield {
            "a": a,
            "b": b,
            "rule": CO_OBSERVED,
            "records": sorted(records),
            "sources": sorted({r.split("|", 1)[0] for r in records}),
            "first": min(stamps).isoformat(),
            "last": max(stamps).isoformat(),
            "p": p,
            "w": match_weight(p),
        }


def _membership_rows(graph: BackgroundGraph) -> Iterator[dict[str, Any]]:
    for key, customer_id in graph.customer_of.items():
        yield {"key": key, "customer_id": customer_id, "confidence": graph.membership[key]}


def _chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load(
    driver: Driver,
    database: str,
    graph: BackgroundGraph,
    now: datetime,
    progress: Progress,
) -> dict[str, int]:
    """Write ``graph`` with the bench statements, ``CHUNK`` rows per transaction.

    Expects an empty graph with the schema applied. Returns rows written per statement.
    """
    stamp = now.isoformat()
    steps: list[tuple[str, Callable[[], Iterable[dict[str, Any]]], int]] = [
        ("bulk_records", lambda: _record_rows(graph), len(graph.records)),
        ("bulk_identifiers", lambda: _identifier_rows(graph), len(graph.identifiers)),
        ("bulk_observations", lambda: _observation_rows(graph), graph.observations),
        ("bulk_links", lambda: _link_rows(graph), len(graph.evidence)),
        ("bulk_customers", lambda: graph.customers, len(graph.customers)),
        ("bulk_memberships", lambda: _membership_rows(graph), len(graph.customer_of)),
        ("bulk_events", lambda: graph.customers, len(graph.customers)),
    ]
    written: dict[str, int] = {}
    with driver.session(database=database) as session:
        for name, rows, total in steps:
            query = statement(name)
            task = progress.add_task(name.replace("_", " "), total=total)
            count = 0
            for chunk in _chunks(rows(), CHUNK):

                def work(
                    tx: ManagedTransaction, chunk: list[dict[str, Any]] = chunk, query: str = query
                ) -> None:
                    tx.run(query, rows=chunk, now=stamp).consume()

                session.execute_write(work)
                count += len(chunk)
                progress.update(task, completed=count)
            written[name] = count
    return written


def bulk_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("  [bold]{task.description}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


# ---------------------------------------------------------------------------- checks

#: Properties that legitimately differ between bulk-loaded and engine-written entities.
_VOLATILE = {"lock_seq"}

_PROPERTY_NAMES = """
UNWIND $records AS rk
MATCH (r:Record {key: rk})-[o:OBSERVED]->(i:Identifier)
OPTIONAL MATCH (i)-[b:BELONGS_TO]->(c:Customer)
OPTIONAL MATCH (i)-[l:LINKED]-(:Identifier)
OPTIONAL MATCH (c)<-[:ABOUT]-(e:CustomerEvent {type: 'created'})
RETURN collect(DISTINCT keys(r)) AS Record, collect(DISTINCT keys(o)) AS OBSERVED,
       collect(DISTINCT keys(i)) AS Identifier, collect(DISTINCT keys(l)) AS LINKED,
       collect(DISTINCT keys(b)) AS BELONGS_TO, collect(DISTINCT keys(c)) AS Customer,
       collect(DISTINCT keys(e)) AS CustomerEvent
"""


def property_names(
    driver: Driver, database: str, record_keys: Sequence[str]
) -> dict[str, set[str]]:
    """Property names in use around some records, per label or relationship type."""
    records, _, _ = driver.execute_query(
        _PROPERTY_NAMES, records=list(record_keys), database_=database, routing_="r"
    )
    row = records[0].data()
    names: dict[str, set[str]] = {}
    for label, key_lists in row.items():
        names[label] = {
            k for ks in key_lists for k in ks if not k.startswith("attr_") and k not in _VOLATILE
        }
    return names


def property_differences(bulk: dict[str, set[str]], engine: dict[str, set[str]]) -> list[str]:
    """Labels whose property names differ between bulk-loaded and engine-written entities.

    ``shared_reason`` appears only on shared identifiers, so it is compared only when
    both sides have a shared identifier in the sample.
    """
    problems = []
    for label in sorted(set(bulk) | set(engine)):
        ours, theirs = bulk.get(label, set()), engine.get(label, set())
        if not ours or not theirs:
            continue  # nothing of this kind in one of the samples
        if label == "Identifier" and ("shared_reason" in ours) != ("shared_reason" in theirs):
            ours, theirs = ours - {"shared_reason"}, theirs - {"shared_reason"}
        if ours != theirs:
            problems.append(
                f"{label}: bulk-only {sorted(ours - theirs)}, engine-only {sorted(theirs - ours)}"
            )
    return problems
