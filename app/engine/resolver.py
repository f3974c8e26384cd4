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
   the batch affects, and locks their customers; one more read fetches the attributes
   the attribute policies check (birth date, national id) of the records observing the
   scope's joinable identifiers. Nothing else is read.
4. **Re-cluster** the scope with :func:`app.engine.clustering.cluster`, the same pure
   function a from-scratch ``recluster`` uses, so the partition depends only on the
   records ingested.
5. **Stable ids.** Each old customer goes with the new group holding most of its members;
   a group claimed by several keeps the oldest id (a merge); a part nobody claims gets a
   new id (a split, or a creation). Every change is a history event.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.engine.clustering import (
    DEFAULT_ATTRIBUTE_POLICIES,
    DEFAULT_POLICIES,
    AttributePolicy,
    CannotLink,
    Clustering,
    KindPolicy,
    Link,
    cluster,
    node_attributes,
)
from app.engine.matching import MatchModel
from app.engine.ports import AttributeReader, ResolutionUnit
from app.engine.scoring import (
    CO_OBSERVED,
    ScoringConfig,
    link_probability,
    match_weight,
    record_links,
    source_of,
)
from app.engine.similarity import MatchingConfig, SimilarityMatcher
from graph_models.customers import Change, ChangeType, RecordResult
from graph_models.records import NormalisedRecord

#: The shared-identifier rule: an identifier of kind X linked to more than
#: ``limits[X][K]`` distinct identifiers of kind K is quarantined as shared. ``"*"`` is the
#: default row. A person has a few emails, phones and accounts; a household tablet sees a
#: few accounts; a support line or an internet-cafe device sees far more. Accounts and
#: emails collect many cookies over time, so their cookie limits are high.
DEFAULT_SHARED_LIMITS: dict[str, dict[str, int]] = {
    "*": {"account": 5, "email": 5, "phone": 5, "device": 10, "cookie": 20},
    "account": {"account": 5, "email": 5, "phone": 5, "device": 30, "cookie": 500},
    "email": {"account": 5, "email": 5, "phone": 5, "device": 30, "cookie": 500},
}

Pair = tuple[str, str]


class ConsentHook(Protocol):
    """Consent history after a re-evaluation (:class:`app.privacy.consent.ConsentHistory`)."""

    def after_assignment(
        self,
        unit: ResolutionUnit,
        old_ids: Iterable[str],
        members: Mapping[str, Sequence[str]],
        changes: Sequence[Change],
        recorded: Sequence[NormalisedRecord],
    ) -> list[Change]: ...


@dataclass(frozen=True)
class ResolutionConfig:
    """Knobs of the engine (documented in the README's configuration section)."""

    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    policies: tuple[KindPolicy, ...] = DEFAULT_POLICIES
    threshold: float = 0.5
    shared_limits: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_SHARED_LIMITS.items()}
    )
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    attribute_policies: tuple[AttributePolicy, ...] = DEFAULT_ATTRIBUTE_POLICIES

    def shared_limits_for(self, kind: str) -> dict[str, int]:
        """Per neighbour kind, how many an identifier of ``kind`` may be linked to."""
        return self.shared_limits.get(kind, self.shared_limits["*"])

    @property
    def min_shared_limit(self) -> int:
        return min(n for row in self.shared_limits.values() for n in row.values())


def _kind(key: str) -> str:
    return key.split(":", 1)[0]


def _pairs(keys: Iterable[str]) -> Iterable[Pair]:
    return record_links(keys)


def override_rule_name(override: dict[str, Any]) -> str:
    """How an override is named in reasons and explanations."""
    return (
        f"override {override['override_id']} ({override['decision']}) by "
        f"{override['actor']}: {override['reason']}"
    )


_event_seq = itertools.count()


def new_event_id() -> str:
    """Event ids sort in creation order within a process (history orders by time, then id)."""
    return f"E-{time.time_ns():020d}-{next(_event_seq) % 1_000_000:06d}-{uuid.uuid4().hex[:8]}"


def new_customer_id() -> str:
    return f"C-{uuid.uuid4().hex[:16]}"


@dataclass
class _Scope:
    """What a batch re-evaluates: identifiers, their joinable links and old customers."""

    shared: dict[str, bool] = field(default_factory=dict)
    old_customer: dict[str, str | None] = field(default_factory=dict)
    old_membership: dict[str, float | None] = field(default_factory=dict)
    links: dict[Pair, float] = field(default_factory=dict)
    customers: dict[str, tuple[datetime, set[str]]] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: joinable identifier -> policy field -> {(record key, cleaned value)}
    attributes: dict[str, dict[str, set[tuple[str, str]]]] = field(default_factory=dict)

    def nodes(self) -> list[str]:
        """The joinable (not shared) identifiers, in key order."""
        return sorted(k for k, shared in self.shared.items() if not shared)

    def read_attributes(self, unit: AttributeReader, policies: Sequence[AttributePolicy]) -> None:
        """Read what the attribute policies check for the joinable identifiers (one read)."""
        nodes = self.nodes()
        if not policies or not nodes:
            return
        rows = unit.policy_attributes(nodes, sorted({f for p in policies for f in p.fields}))
        self.attributes = node_attributes(rows, policies)

    def must_links(self) -> list[Link]:
        """Same-customer overrides between joinable identifiers, as links with p = 1."""
        return [
            Link(min(o["a"], o["b"]), max(o["a"], o["b"]), 1.0)
            for o in self.overrides.values()
            if o["decision"] == "same"
            and self.shared.get(o["a"]) is False
            and self.shared.get(o["b"]) is False
        ]

    def cannot_links(self) -> list[CannotLink]:
        return [
            CannotLink(min(o["a"], o["b"]), max(o["a"], o["b"]), override_rule_name(o))
            for o in self.overrides.values()
            if o["decision"] == "different"
        ]


@dataclass
class Assignment:
    """The outcome of re-clustering a scope: customer per identifier, and what changed."""

    members: dict[str, list[str]]
    confidence: dict[str, float]
    membership: dict[str, float]
    weakest: dict[str, str | None]
    retired: list[dict[str, Any]]
    changes: list[Change]
    shared: set[str] = field(default_factory=set)


class Resolver:
    """Resolves batches of normalised records inside one storage transaction."""

    def __init__(
        self, config: ResolutionConfig | None = None, consent: ConsentHook | None = None
    ) -> None:
        self.config = config or ResolutionConfig()
        self.consent = consent
        self.similarity = SimilarityMatcher(self.config.matching)

    # ------------------------------------------------------------------ ingest
    def ingest(
        self,
        unit: ResolutionUnit,
        records: Sequence[NormalisedRecord],
        now: datetime,
        model: MatchModel | None = None,
    ) -> list[RecordResult]:
        """Store a batch's evidence and re-evaluate the customers it touches.

        Args:
            unit: the open transaction.
            records: normalised records; a key sent twice keeps its last content.
            now: the time stamped on customers and history events.
            model: the match model for similarity evidence (None: no attribute matching).

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
        known: dict[str, tuple[str | None, float | None]] = {}
        if to_write:
            changes, known = self._apply(unit, to_write, existing, now, model)
        order = list(dict.fromkeys(r.key for r in records))
        return self._results(unit, order, batch, changes, known)

    def _apply(
        self,
        unit: ResolutionUnit,
        to_write: list[NormalisedRecord],
        existing: Mapping[str, tuple[str, list[str]]],
        now: datetime,
        model: MatchModel | None = None,
    ) -> tuple[list[Change], dict[str, tuple[str | None, float | None]]]:
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

        unit.lock_customers_of(sorted({i.key for r in to_write for i in r.identifiers} | refresh))
        if replaced:
            unit.delete_observations(replaced)
        created = self._write_records(unit, to_write)
        orphans: set[str] = set()
        if refresh:
            counts = unit.refresh_identifier_stats(sorted(refresh))
            orphans = {k for k, n in counts.items() if n == 0}

        touched = sorted(set(added) | set(removed))
        written = self._write_links(unit, touched, added, removed, times, created)
        similar = (
            self.similarity.refresh(unit, model, to_write, {k: existing[k][1] for k in replaced})
            if model is not None
            else None
        )

        orphan_customers = unit.customer_members(sorted(orphans)) if orphans else {}
        if orphans:
            unit.delete_identifiers(sorted(orphans))

        endpoints = {k for p in touched for k in p}
        if similar is not None:
            endpoints |= similar.endpoints
        endpoints -= orphans
        # Every link of an identifier created in this batch was written just now, so
        # its degree and links are known here without asking the store.
        local: dict[str, list[tuple[str, float]]] = {k: [] for k in created}
        for (a, b), p in written.items():
            if a in local:
                local[a].append((b, p))
            if b in local:
                local[b].append((a, p))
        quiet = {k for k, links in local.items() if len(links) <= self.config.min_shared_limit}
        if similar is not None:
            # SIMILAR links of new identifiers were all written just now too; they do
            # not count towards the shared rule.
            for (a, b), p in similar.written.items():
                if a in local:
                    local[a].append((b, p))
                if b in local:
                    local[b].append((a, p))
        flipped, released_neighbours = self._requarantine(unit, sorted(endpoints - quiet))
        local = {
            k: [(b, p) for b, p in links if p >= self.config.threshold]
            for k, links in local.items()
            if k not in flipped
        }

        seeds = {i.key for r in to_write for i in r.identifiers} | endpoints
        # An identifier a replaced record no longer observes may have lost the record's
        # attributes (and with them a policy conflict) without losing any link.
        seeds |= refresh
        seeds |= set(flipped) | released_neighbours
        for _, members in orphan_customers.values():
            seeds |= members
        seeds -= orphans
        assignment = self.reevaluate(
            unit,
            seeds,
            now,
            self._triggers(to_write),
            flipped,
            orphan_customers,
            local,
            recorded=[r for r in to_write if r.consent],
        )
        known: dict[str, tuple[str | None, float | None]] = {
            key: (cid, assignment.confidence[cid])
            for cid, members in assignment.members.items()
            for key in members
        }
        return assignment.changes, known

    def rematch(
        self, unit: ResolutionUnit, keys: Sequence[str], now: datetime, model: MatchModel
    ) -> list[Change]:
        """Re-score the similarity evidence of stored records and re-evaluate what changed.

        Args:
            unit: the open transaction.
            keys: record keys (a page of all records, for ``idgraph rematch``).
            now: the time stamped on customers and events.
            model: the model to score with.
        """
        update = self.similarity.rematch(unit, model, keys)
        if not update.endpoints:
            return []
        return self.reevaluate(unit, set(update.endpoints), now).changes

    def reevaluate(
        self,
        unit: ResolutionUnit,
        seeds: set[str],
        now: datetime,
        triggers: dict[str, str] | None = None,
        flipped: dict[str, str | None] | None = None,
        orphan_customers: Mapping[str, tuple[datetime, set[str]]] | None = None,
        local: dict[str, list[tuple[str, float]]] | None = None,
        recorded: Sequence[NormalisedRecord] = (),
    ) -> Assignment:
        """Re-cluster the components containing ``seeds`` and write the outcome.

        Args:
            unit: the open transaction.
            seeds: identifiers whose components must be re-evaluated.
            now: time stamp of customers and events.
            triggers: identifier key -> record that caused the re-evaluation.
            flipped: identifiers whose shared status just changed (-> reason).
            orphan_customers: customers of identifiers deleted in this transaction.
            local: identifiers created in this transaction (not shared, no customer yet)
                with all their joinable links, so the walk need not read them back.
            recorded: records written in this transaction that carry consent statements
                (for the consent history).
        """
        scope = self._scope(unit, seeds, orphan_customers or {}, local or {})
        clustering = cluster(
            scope.nodes(),
            [Link(a, b, p) for (a, b), p in scope.links.items()] + scope.must_links(),
            self.config.policies,
            self.config.threshold,
            scope.cannot_links(),
            self.config.attribute_policies,
            scope.attributes,
        )
        assignment = assign_ids(scope, clustering, triggers or {}, flipped or {}, now)
        self._write_assignment(unit, scope, assignment, now)
        if self.consent is not None:
            consent = self.consent.after_assignment(
                unit, scope.customers, assignment.members, assignment.changes, recorded
            )
            if consent:
                unit.create_events(
                    [{"event_id": new_event_id(), **c.model_dump(mode="json")} for c in consent],
                    now.isoformat(),
                )
                assignment.changes += consent
        for key, shared in scope.shared.items():
            if shared:
                assignment.shared.add(key)
        return assignment

    # ------------------------------------------------------------------ evidence
    def _write_records(self, unit: ResolutionUnit, to_write: list[NormalisedRecord]) -> set[str]:
        """Write records, identifiers and observations; return identifiers created."""
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
            if record.consent:  # parallel lists: Neo4j properties hold no maps
                props["consent_purposes"] = [s.purpose for s in record.consent]
                props["consent_granted"] = [s.granted for s in record.consent]
                props["consent_at"] = [s.at.isoformat() for s in record.consent if s.at]
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
        created = unit.upsert_identifiers(
            [{k: v for k, v in row.items() if not k.startswith("_")} for row in stats.values()]
        )
        if observations:
            unit.create_observations(observations)
        return created

    def _write_links(
        self,
        unit: ResolutionUnit,
        touched: list[Pair],
        added: dict[Pair, set[str]],
        removed: dict[Pair, set[str]],
        times: dict[str, datetime],
        created: set[str],
    ) -> dict[Pair, float]:
        """Write the new evidence of touched links; return their new probabilities."""
        if not touched:
            return {}
        # A link with an end created in this batch cannot exist yet.
        current = unit.fetch_links(
            [p for p in touched if p[0] not in created and p[1] not in created]
        )
        need_times = {
            rk for pair in touched if pair in removed for rk in current.get(pair, ([],))[0]
        } - set(times)
        if need_times:
            times.update(unit.record_times(sorted(need_times)))
        upserts: list[dict[str, Any]] = []
        deletes: list[Pair] = []
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
        return {(row["a"], row["b"]): row["p"] for row in upserts}

    # ------------------------------------------------------------------ quarantine
    def shared_verdict(self, kind: str, neighbour_kinds: dict[str, int]) -> tuple[bool, str | None]:
        """Whether an identifier is shared, from how many identifiers of each kind it is
        linked to, with the reason (e.g. a support line linked to 40 distinct phones)."""
        limits = self.config.shared_limits_for(kind)
        for other, limit in sorted(limits.items()):
            count = neighbour_kinds.get(other, 0)
            if count > limit:
                return True, (
                    f"linked to {count} distinct {other} identifiers of otherwise separate "
                    f"people; a {kind} may be linked to at most {limit}"
                )
        return False, None

    def _requarantine(
        self, unit: ResolutionUnit, candidates: list[str]
    ) -> tuple[dict[str, str | None], set[str]]:
        """Re-check identifiers whose links changed; return flips (-> reason) and the
        neighbours of released identifiers (their components may merge again)."""
        if not candidates:
            return {}, set()
        counts = unit.neighbour_kinds(candidates, self.config.min_shared_limit)
        flips: dict[str, str | None] = {}
        rows = []
        released: list[str] = []
        for key, (kind, was_shared, kinds) in sorted(counts.items()):
            shared, reason = self.shared_verdict(kind, kinds)
            if shared:
                rows.append({"key": key, "shared": True, "reason": reason})
            elif was_shared:
                rows.append({"key": key, "shared": False, "reason": None})
                released.append(key)
            if shared != was_shared:
                flips[key] = reason
        if rows:
            unit.set_shared(rows)
        return flips, unit.neighbours(released) if released else set()

    # ------------------------------------------------------------------ scope
    def _scope(
        self,
        unit: ResolutionUnit,
        seeds: set[str],
        orphan_customers: Mapping[str, tuple[datetime, set[str]]],
        local: dict[str, list[tuple[str, float]]],
    ) -> _Scope:
        scope = _Scope()
        scope.customers.update(orphan_customers)
        unit.lock_customers(sorted(orphan_customers))
        seen_customers = set(orphan_customers)
        found_locally: set[str] = set()
        for key, links in local.items():
            self._visit(scope, key, False, None, None, links, found_locally)
        frontier = (set(seeds) | found_locally) - set(scope.shared)
        with_overrides = unit.any_overrides()
        if with_overrides and local:
            frontier |= self._override_partners(unit, scope, list(local))
        while frontier:
            visited_before = set(scope.shared)
            rows = unit.expand(sorted(frontier), self.config.threshold)
            found: set[str] = set()
            new_customers: set[str] = set()
            for key, shared, customer_id, membership, links in rows:
                self._visit(scope, key, shared, customer_id, membership, links, found)
                if customer_id is not None and customer_id not in seen_customers:
                    new_customers.add(customer_id)
            while new_customers:
                seen_customers |= new_customers
                expanded = unit.expand_customers(sorted(new_customers), self.config.threshold)
                new_customers = set()
                for customer_id, created_at, members in expanded:
                    scope.customers[customer_id] = (created_at, {m[0] for m in members})
                    for key, shared, membership, links in members:
                        self._visit(scope, key, shared, customer_id, membership, links, found)
            if with_overrides:
                fresh = [k for k in scope.shared if k not in visited_before]
                found |= self._override_partners(unit, scope, fresh)
            frontier = found - set(scope.shared)
        scope.read_attributes(unit, self.config.attribute_policies)
        return scope

    @staticmethod
    def _override_partners(unit: ResolutionUnit, scope: _Scope, keys: list[str]) -> set[str]:
        """Record the overrides of ``keys``; return the identifiers they concern."""
        partners: set[str] = set()
        for override in unit.overrides_of(sorted(keys)):
            scope.overrides[override["override_id"]] = override
            partners |= {override["a"], override["b"]}
        return partners

    @staticmethod
    def _visit(
        scope: _Scope,
        key: str,
        shared: bool,
        customer_id: str | None,
        membership: float | None,
        links: list[tuple[str, float]],
        found: set[str],
    ) -> None:
        scope.shared[key] = shared
        scope.old_customer[key] = customer_id
        scope.old_membership[key] = membership
        for other, p in links:
            # A pair may be both LINKED and SIMILAR: the stronger evidence counts.
            pair = (key, other) if key < other else (other, key)
            scope.links[pair] = max(p, scope.links.get(pair, 0.0))
            found.add(other)

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
        new_of = {key: cid for cid, members in assignment.members.items() for key in members}
        moved = [k for k in sorted(scope.shared) if scope.old_customer.get(k) != new_of.get(k)]
        left = [k for k in moved if scope.old_customer.get(k) is not None]
        if left:
            unit.clear_membership(left, stamp)
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
        joined = [
            {"key": k, "customer_id": new_of[k], "confidence": assignment.membership[k]}
            for k in moved
            if k in new_of
        ]
        if joined:
            unit.assign_members(joined, stamp)
        moved_set = set(moved)
        rescored = [
            {"key": k, "confidence": assignment.membership[k]}
            for k in sorted(new_of)
            if k not in moved_set and scope.old_membership.get(k) != assignment.membership[k]
        ]
        if rescored:
            unit.update_membership(rescored)
        if assignment.retired:
            unit.retire_customers(assignment.retired, stamp)
        if assignment.changes:
            unit.create_events(
                [
                    {"event_id": new_event_id(), **change.model_dump(mode="json")}
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
        known: dict[str, tuple[str | None, float | None]],
    ) -> list[RecordResult]:
        ident_keys = sorted({i.key for r in batch.values() for i in r.identifiers} - set(known))
        current = dict(known)
        if ident_keys:
            current.update(unit.customers_of(ident_keys))
        changes_of: dict[str, list[Change]] = defaultdict(list)
        for change in changes:
            for cid in dict.fromkeys([change.customer_id, *change.after]):
                changes_of[cid].append(change)
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
                    changes=changes_of.get(customer_id, []) if customer_id else [],
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
    group_links: dict[int, list[tuple[Pair, float]]] = defaultdict(list)
    for (a, b), p in scope.links.items():
        if a in group_of and group_of[a] == group_of.get(b):
            group_links[group_of[a]].append(((a, b), p))

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
    group_id: dict[int, str] = {}
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
                        reason=_merge_reason(group_links[index], owners, old_members, scope),
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
        group_id[index] = cid
        confidence[cid] = clustering.confidence[group]
        link = clustering.weakest[group]
        weakest[cid] = f"{link.a} -- {link.b} (p={link.p:.4f})" if link else None
    # Where each old customer's main part went: itself, or its merge survivor.
    final_id = {cid: group_id[index] for cid, index in best.items()}
    for parent, parts in sorted(split_parts.items()):
        survivor = final_id.get(parent)
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
    group_links: list[tuple[Pair, float]],
    owners: list[str],
    old_members: dict[str, set[str]],
    scope: _Scope,
) -> str:
    owner_of = {k: cid for cid in owners for k in old_members.get(cid, set())}
    for override in sorted(scope.overrides.values(), key=lambda o: o["override_id"]):
        if override["decision"] == "same" and owner_of.get(override["a"]) != owner_of.get(
            override["b"]
        ):
            return override_rule_name(override)
    bridges = [(p, a, b) for (a, b), p in group_links if owner_of.get(a) != owner_of.get(b)]
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
            conflict = split.conflict()
            return (
                f"policy '{split.policy}' separated {split.separated[0]} from "
                f"{split.separated[1]}{conflict} along the weakest evidence; cut links: {cut}"
            )
    quarantined = sorted(k for k in keys if flipped.get(k))
    if quarantined:
        return f"{quarantined[0]} quarantined as shared: {flipped[quarantined[0]]}"
    return "evidence removed: a record was replaced and its links no longer hold"
