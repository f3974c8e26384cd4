"""The resolution engine: records in, customers out, re-evaluated incrementally.

One batch is one transaction (see :class:`app.engine.ports.ResolutionUnit`):

1. **Evidence.** New or changed records are written with what they observed; every pair
   of identifiers observed together gets (or loses) the record as evidence on its link,
   and the link's match probability is recomputed from its records
   (:mod:`app.engine.scoring`). A re-sent record with the same content changes nothing.
2. **Quarantine.** Identifiers whose neighbourhood changed are re-checked: one whose
   neighbours fall into more otherwise separate groups than its kind allows (a support
   line, ``test@test.com``) is marked shared and joins no customer.
3. **Scope.** From the touched identifiers, a breadth-first walk over joinable links (and
   the members of every customer met on the way) finds the whole connected components
   the batch affects, and locks their customers. Nothing else is read.
4. **Re-cluster** the scope with :func:`app.engine.clustering.cluster`, the same pure
   function a from-scratch ``recluster`` uses, so the partition depends only on the
   records ingested.
5. **Stable ids.** Each old customer goes with the new group holding most of its members;
   a group claimed by several keeps the oldest id (a merge); a part nobody claims gets a
   new id (a split, or a creation). Every change is a history event.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.engine.clustering import DEFAULT_POLICIES, Clustering, KindPolicy, Link, cluster
from app.engine.clustering import shared_group_count as count_groups
from app.engine.ports import ResolutionUnit
from app.engine.scoring import (
    CO_OBSERVED,
    ScoringConfig,
    link_probability,
    match_weight,
    source_of,
)
from graph_models.customers import Change, ChangeType, RecordResult
from graph_models.records import NormalisedRecord

DEFAULT_SHARED_LIMITS: dict[str, int] = {
    "email": 4,
    "phone": 4,
    "account": 3,
    "cookie": 6,
    "device": 6,
}

Pair = tuple[str, str]


@dataclass(frozen=True)
class ResolutionConfig:
    """Knobs of the engine (documented in the README's configuration section)."""

    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    policies: tuple[KindPolicy, ...] = DEFAULT_POLICIES
    threshold: float = 0.5
    hub_degree: int = 50
    shared_limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SHARED_LIMITS))
    default_shared_limit: int = 6

    def shared_limit(self, kind: str) -> int:
        return self.shared_limits.get(kind, self.default_shared_limit)


def _kind(key: str) -> str:
    return key.split(":", 1)[0]


def _pairs(keys: Iterable[str]) -> Iterable[Pair]:
    return itertools.combinations(sorted(set(keys)), 2)


def new_customer_id() -> str:
    return f"C-{uuid.uuid4().hex[:16]}"


@dataclass
class _Scope:
    """What a batch re-evaluates: identifiers, their joinable links and old customers."""

    shared: dict[str, bool] = field(default_factory=dict)
    old_customer: dict[str, str | None] = field(default_factory=dict)
    links: dict[Pair, float] = field(default_factory=dict)
    customers: dict[str, tuple[datetime, set[str]]] = field(default_factory=dict)


@dataclass
class Assignment:
    """The outcome of re-clustering a scope: customer per identifier, and what changed."""

    members: dict[str, list[str]]
    confidence: dict[str, float]
    membership: dict[str, float]
    weakest: dict[str, str | None]
    retired: list[dict[str, Any]]
    changes: list[Change]


class Resolver:
    """Resolves batches of normalised records inside one storage transaction."""

    def __init__(self, config: ResolutionConfig | None = None) -> None:
        self.config = config or ResolutionConfig()

    # ------------------------------------------------------------------ ingest
    def ingest(
        self, unit: ResolutionUnit, records: Sequence[NormalisedRecord], now: datetime
    ) -> list[RecordResult]:
        """Store a batch's evidence and re-evaluate the customers it touches.

        Args:
            unit: the open transaction.
            records: normalised records; a key sent twice keeps its last content.
            now: the time stamped on customers and history events.

        Returns:
            One result per distinct record key, in the order first sent.
        """
        batch: dict[str, NormalisedRecord] = {}
        for record in records:
            batch[record.key] = record
        keys = sorted(batch)
        existing = unit.fetch_records(keys)
        to_write = [
            batch[k] for k in keys if k not in existing or existing[k][0] != batch[k].content_hash
        ]
        changes: list[Change] = []
        if to_write:
            changes = self._apply(unit, to_write, existing, now)
        return self._results(unit, list(dict.fromkeys(r.key for r in records)), batch, changes)

    def _apply(
        self,
        unit: ResolutionUnit,
        to_write: list[NormalisedRecord],
        existing: dict[str, tuple[str, list[str]]],
        now: datetime,
    ) -> list[Change]:
        replaced = [r.key for r in to_write if r.key in existing]
        added: dict[Pair, set[str]] = defaultdict(set)
        removed: dict[Pair, set[str]] = defaultdict(set)
        refresh: set[str] = set()
        for key in replaced:
            old_keys = existing[key][1]
            refresh.update(old_keys)
            for pair in _pairs(old_keys):
                removed[pair].add(key)
        times: dict[str, datetime] = {}
        for record in to_write:
            times[record.key] = record.observed_at
            ident_keys = [i.key for i in record.identifiers]
            if record.key in existing:
                refresh.update(ident_keys)
            for pair in _pairs(ident_keys):
                added[pair].add(record.key)

        if replaced:
            unit.delete_observations(replaced)
        self._write_records(unit, to_write)
        orphans: set[str] = set()
        if refresh:
            counts = unit.refresh_identifier_stats(sorted(refresh))
            orphans = {k for k, n in counts.items() if n == 0}

        touched = sorted(set(added) | set(removed))
        self._write_links(unit, touched, added, removed, times)

        orphan_customers = unit.customer_members(sorted(orphans)) if orphans else {}
        if orphans:
            unit.delete_identifiers(sorted(orphans))

        live_pairs = [p for p in touched if p[0] not in orphans and p[1] not in orphans]
        endpoints = {k for p in touched for k in p} - orphans
        candidates = endpoints | (unit.common_neighbours(live_pairs) if live_pairs else set())
        flipped, released_neighbours = self._requarantine(unit, sorted(candidates - orphans))

        seeds = {i.key for r in to_write for i in r.identifiers} | endpoints
        seeds |= set(flipped) | released_neighbours
        for _, members in orphan_customers.values():
            seeds |= members
        seeds -= orphans
        return self.reevaluate(
            unit, seeds, now, self._triggers(to_write), flipped, orphan_customers
        )

    def reevaluate(
        self,
        unit: ResolutionUnit,
        seeds: set[str],
        now: datetime,
        triggers: dict[str, str] | None = None,
        flipped: dict[str, str | None] | None = None,
        orphan_customers: dict[str, tuple[datetime, set[str]]] | None = None,
    ) -> list[Change]:
        """Re-cluster the components containing ``seeds`` and write the outcome.

        Args:
            unit: the open transaction.
            seeds: identifiers whose components must be re-evaluated.
            now: time stamp of customers and events.
            triggers: identifier key -> record that caused the re-evaluation.
            flipped: identifiers whose shared status just changed (-> reason).
            orphan_customers: customers of identifiers deleted in this transaction.
        """
        scope = self._scope(unit, seeds, orphan_customers or {})
        clustering = cluster(
            [k for k, shared in scope.shared.items() if not shared],
            [Link(a, b, p) for (a, b), p in scope.links.items()],
            self.config.policies,
            self.config.threshold,
        )
        assignment = assign_ids(scope, clustering, triggers or {}, flipped or {}, now)
        self._write_assignment(unit, scope, assignment, now)
        return assignment.changes

    # ------------------------------------------------------------------ evidence
    def _write_records(self, unit: ResolutionUnit, to_write: list[NormalisedRecord]) -> None:
        record_rows = []
        stats: dict[str, dict[str, Any]] = {}
        observations = []
        for record in to_write:
            props: dict[str, Any] = {
                "source": record.source,
                "record_id": record.record_id,
                "observed_at": record.observed_at.isoformat(),
                "content_hash": record.content_hash,
            }
            props.update({f"attr_{k}": v for k, v in record.attributes.items()})
            record_rows.append({"key": record.key, "props": props})
            at = record.observed_at.isoformat()
            for ident in record.identifiers:
                row = stats.setdefault(
                    ident.key,
                    {
                        "key": ident.key,
                        "kind": ident.kind,
                        "value": ident.value,
                        "first": at,
                        "last": at,
                        "sources": [],
                        "count": 0,
                        "_first": record.observed_at,
                        "_last": record.observed_at,
                    },
                )
                if record.observed_at < row["_first"]:
                    row["_first"], row["first"] = record.observed_at, at
                if record.observed_at > row["_last"]:
                    row["_last"], row["last"] = record.observed_at, at
                if record.source not in row["sources"]:
                    row["sources"].append(record.source)
                row["count"] += 1
                observations.append({"record": record.key, "identifier": ident.key})
        unit.upsert_records(record_rows)
        unit.upsert_identifiers(
            [{k: v for k, v in row.items() if not k.startswith("_")} for row in stats.values()]
        )
        if observations:
            unit.create_observations(observations)

    def _write_links(
        self,
        unit: ResolutionUnit,
        touched: list[Pair],
        added: dict[Pair, set[str]],
        removed: dict[Pair, set[str]],
        times: dict[str, datetime],
    ) -> None:
        if not touched:
            return
        current = unit.fetch_links(touched)
        need_times = {
            rk for pair in touched if pair in removed for rk in current.get(pair, ([],))[0]
        } - set(times)
        if need_times:
            times.update(unit.record_times(sorted(need_times)))
        upserts, deletes = [], []
        for pair in touched:
            old_records, first, last = current.get(pair, ([], None, None))
            records = (set(old_records) - removed.get(pair, set())) | added.get(pair, set())
            if not records:
                if pair in current:
                    deletes.append(pair)
                continue
            if pair in removed or first is None or last is None:
                stamps = [times[r] for r in records if r in times]
                first, last = min(stamps), max(stamps)
            else:
                stamps = [times[r] for r in added.get(pair, ())]
                first, last = min([first, *stamps]), max([last, *stamps])
            p = link_probability(_kind(pair[0]), _kind(pair[1]), records, self.config.scoring)
            upserts.append(
                {
                    "a": pair[0],
                    "b": pair[1],
                    "rule": CO_OBSERVED,
                    "records": sorted(records),
                    "sources": sorted({source_of(r) for r in records}),
                    "first": first.isoformat(),
                    "last": last.isoformat(),
                    "p": p,
                    "w": match_weight(p),
                }
            )
        if deletes:
            unit.delete_links(deletes)
        if upserts:
            unit.upsert_links(upserts)

    # ------------------------------------------------------------------ quarantine
    def shared_verdict(
        self, kind: str, neighbourhood: dict[str, tuple[bool, list[str]]]
    ) -> tuple[bool, str | None]:
        """Whether an identifier is shared, from its neighbourhood, with the reason."""
        hubs = {n for n, (hub, _) in neighbourhood.items() if hub}
        groups = count_groups({n: ms for n, (_, ms) in neighbourhood.items()}, hubs)
        limit = self.config.shared_limit(kind)
        if groups > limit:
            return True, (
                f"linked to {groups} otherwise separate groups of identifiers; "
                f"a {kind} may join at most {limit}"
            )
        return False, None

    def _requarantine(
        self, unit: ResolutionUnit, candidates: list[str]
    ) -> tuple[dict[str, str | None], set[str]]:
        """Re-check candidates; return flipped keys (-> reason) and released neighbours."""
        if not candidates:
            return {}, set()
        degrees = unit.degrees(candidates)
        heavy = [k for k, (kind, d, _) in degrees.items() if d > self.config.shared_limit(kind)]
        hoods = unit.neighbourhoods(heavy, self.config.hub_degree) if heavy else {}
        flips: dict[str, str | None] = {}
        rows = []
        released: set[str] = set()
        for key, (kind, _, was_shared) in sorted(degrees.items()):
            shared, reason = self.shared_verdict(kind, hoods.get(key, {}))
            if shared:
                rows.append({"key": key, "shared": True, "reason": reason})
            elif was_shared:
                rows.append({"key": key, "shared": False, "reason": None})
            if shared != was_shared:
                flips[key] = reason
                if not shared:
                    released |= set(hoods.get(key, {}))
        if rows:
            unit.set_shared(rows)
        return flips, released

    # ------------------------------------------------------------------ scope
    def _scope(
        self,
        unit: ResolutionUnit,
        seeds: set[str],
        orphan_customers: dict[str, tuple[datetime, set[str]]],
    ) -> _Scope:
        scope = _Scope()
        scope.customers.update(orphan_customers)
        unit.lock_customers(sorted(orphan_customers))
        frontier = set(seeds)
        seen_customers = set(orphan_customers)
        while frontier:
            rows = unit.expand(sorted(frontier), self.config.threshold)
            found: set[str] = set()
            new_customer_members: list[str] = []
            for key, shared, customer_id, links in rows:
                scope.shared[key] = shared
                scope.old_customer[key] = customer_id
                if customer_id is not None and customer_id not in seen_customers:
                    seen_customers.add(customer_id)
                    new_customer_members.append(key)
                for other, p in links:
                    scope.links[(key, other) if key < other else (other, key)] = p
                    found.add(other)
            if new_customer_members:
                customers = unit.customer_members(new_customer_members)
                unit.lock_customers(sorted(customers))
                scope.customers.update(customers)
                for _, members in customers.values():
                    found |= members
            frontier = found - set(scope.shared)
        return scope

    @staticmethod
    def _triggers(records: list[NormalisedRecord]) -> dict[str, str]:
        """identifier key -> the first (by key) record of the batch that observed it."""
        trigger: dict[str, str] = {}
        for record in sorted(records, key=lambda r: r.key):
            for ident in record.identifiers:
                trigger.setdefault(ident.key, record.key)
        return trigger

    # ------------------------------------------------------------------ writes
    @staticmethod
    def _write_assignment(
        unit: ResolutionUnit, scope: _Scope, assignment: Assignment, now: datetime
    ) -> None:
        stamp = now.isoformat()
        unit.clear_membership(sorted(scope.shared))
        unit.upsert_customers(
            [
                {
                    "id": cid,
                    "confidence": assignment.confidence[cid],
                    "size": len(members),
                    "weakest": assignment.weakest[cid],
                }
                for cid, members in sorted(assignment.members.items())
            ],
            stamp,
        )
        unit.assign_members(
            [
                {"key": key, "customer_id": cid, "confidence": assignment.membership[key]}
                for cid, members in sorted(assignment.members.items())
                for key in members
            ],
            stamp,
        )
        if assignment.retired:
            unit.retire_customers(assignment.retired, stamp)
        if assignment.changes:
            unit.create_events(
                [
                    {"event_id": f"E-{uuid.uuid4().hex}", **change.model_dump(mode="json")}
                    for change in assignment.changes
                ],
                stamp,
            )

    def _results(
        self,
        unit: ResolutionUnit,
        keys: list[str],
        batch: dict[str, NormalisedRecord],
        changes: list[Change],
    ) -> list[RecordResult]:
        ident_keys = sorted({i.key for r in batch.values() for i in r.identifiers})
        current = unit.customers_of(ident_keys) if ident_keys else {}
        results = []
        for key in keys:
            record = batch[key]
            votes = Counter(
                current[i.key][0]
                for i in record.identifiers
                if i.key in current and current[i.key][0] is not None
            )
            customer_id: str | None = None
            confidence: float | None = None
            if votes:
                customer_id = min(votes, key=lambda c: (-votes[c], c))
                confidence = next(
                    current[i.key][1]
                    for i in record.identifiers
                    if i.key in current and current[i.key][0] == customer_id
                )
            results.append(
                RecordResult(
                    source=record.source,
                    record_id=record.record_id,
                    customer_id=customer_id,
                    confidence=confidence,
                    changes=[
                        c
                        for c in changes
                        if customer_id is not None
                        and (c.customer_id == customer_id or customer_id in c.after)
                    ],
                )
            )
        return results


def assign_ids(
    scope: _Scope,
    clustering: Clustering,
    triggers: dict[str, str],
    flipped: dict[str, str | None],
    now: datetime,
) -> Assignment:
    """Give each new group a customer id, keeping ids stable, and describe the changes.

    Each old customer goes with the group holding most of its members (ties: the group
    with the smallest key). A group claimed by several old customers keeps the oldest
    (a merge); a group no old customer claims gets a new id: a split if it holds members
    of an old customer, a creation otherwise.
    """
    groups = clustering.groups
    group_of = {key: index for index, group in enumerate(groups) for key in group}
    old_members: dict[str, set[str]] = {cid: set(m) for cid, (_, m) in scope.customers.items()}
    for key, cid in scope.old_customer.items():
        if cid is not None:
            old_members.setdefault(cid, set()).add(key)
    created_at = {cid: at for cid, (at, _) in scope.customers.items()}

    best: dict[str, int] = {}
    for cid, members in old_members.items():
        counts = Counter(group_of[m] for m in members if m in group_of)
        if counts:
            best[cid] = min(counts, key=lambda g: (-counts[g], min(groups[g])))
    claimants: dict[int, list[str]] = defaultdict(list)
    for cid, index in best.items():
        claimants[index].append(cid)

    def age(cid: str) -> tuple[datetime, str]:
        return (created_at.get(cid, now), cid)

    assigned: dict[str, list[str]] = {}
    confidence: dict[str, float] = {}
    weakest: dict[str, str | None] = {}
    changes: list[Change] = []
    retired: list[dict[str, Any]] = []
    split_parts: dict[str, list[str]] = defaultdict(list)
    for index, group in enumerate(groups):
        trigger = min((triggers[k] for k in group if k in triggers), default=None)
        owners = sorted(claimants.get(index, []), key=age)
        if owners:
            cid = owners[0]
            if len(owners) > 1:
                changes.append(
                    Change(
                        type=ChangeType.MERGED,
                        customer_id=cid,
                        before=owners,
                        after=[cid],
                        reason=_merge_reason(group, owners, scope, old_members),
                        trigger_record=trigger,
                    )
                )
                retired.extend({"id": o, "status": "merged", "into": cid} for o in owners[1:])
        else:
            cid = new_customer_id()
            parents = sorted({c for k in group if (c := scope.old_customer.get(k)) is not None})
            if parents:
                for parent in parents:
                    split_parts[parent].append(cid)
            else:
                changes.append(
                    Change(
                        type=ChangeType.CREATED,
                        customer_id=cid,
                        after=[cid],
                        reason=f"new identifiers observed by {trigger}",
                        trigger_record=trigger,
                    )
                )
        assigned[cid] = sorted(group)
        confidence[cid] = clustering.confidence[group]
        link = clustering.weakest[group]
        weakest[cid] = f"{link.a} -- {link.b} (p={link.p:.4f})" if link else None
    for parent, parts in sorted(split_parts.items()):
        survivor = parent if parent in best else None
        keys = set(old_members.get(parent, set()))
        changes.append(
            Change(
                type=ChangeType.SPLIT,
                customer_id=parent,
                before=[parent],
                after=([survivor] if survivor else []) + sorted(parts),
                reason=_split_reason(keys, clustering, flipped, scope),
                trigger_record=min((triggers[k] for k in keys if k in triggers), default=None),
            )
        )
    for cid in sorted(old_members):
        if cid not in best:
            retired.append({"id": cid, "status": "retired", "into": None})
            changes.append(
                Change(
                    type=ChangeType.RETIRED,
                    customer_id=cid,
                    before=[cid],
                    after=sorted(split_parts.get(cid, [])),
                    reason="no joinable identifier left (records replaced or identifiers shared)",
                )
            )
    membership = {k: clustering.membership[k] for group in groups for k in group}
    return Assignment(assigned, confidence, membership, weakest, retired, changes)


def _merge_reason(
    group: frozenset[str],
    owners: list[str],
    scope: _Scope,
    old_members: dict[str, set[str]],
) -> str:
    owner_of = {k: cid for cid in owners for k in old_members.get(cid, set())}
    bridges = [
        (p, a, b)
        for (a, b), p in scope.links.items()
        if a in group and b in group and owner_of.get(a) != owner_of.get(b)
    ]
    if not bridges:
        return f"customers {', '.join(owners)} are now one connected component"
    p, a, b = max(bridges, key=lambda t: (t[0], t[1], t[2]))
    return f"{a} is now linked to {b} (match probability {p:.4f})"


def _split_reason(
    keys: set[str],
    clustering: Clustering,
    flipped: dict[str, str | None],
    scope: _Scope,
) -> str:
    for split in clustering.splits:
        if split.separated[0] in keys or split.separated[1] in keys:
            cut = ", ".join(f"{a} -- {b}" for a, b in split.cut)
            return (
                f"policy '{split.policy}' separated {split.separated[0]} from "
                f"{split.separated[1]} along the weakest evidence; cut links: {cut}"
            )
    quarantined = sorted(k for k in keys if flipped.get(k))
    if quarantined:
        return f"{quarantined[0]} quarantined as shared: {flipped[quarantined[0]]}"
    return "evidence removed: a record was replaced and its links no longer hold"
