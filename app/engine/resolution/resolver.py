"""The resolution engine: records in, customers out, re-evaluated incrementally.

One batch is one transaction (see :class:`app.engine.ports.ResolutionUnit`):

1. **Evidence** (:mod:`.evidence`). New or changed records are written with what they
   observed; every pair of identifiers observed together gets (or loses) the record as
   evidence on its link, and the link's match probability is recomputed from its records.
   Look-alike (``SIMILAR``) evidence is refreshed by :mod:`app.engine.similarity`. A
   re-sent record with the same content changes nothing.
2. **Quarantine** (:mod:`.quarantine`). Identifiers whose neighbourhood changed are
   re-checked against the shared-identifier rule.
3. **Scope** (:mod:`.scope`). From the touched identifiers, the scope walk finds the whole
   connected components the batch affects and locks their customers.
4. **Re-cluster** the scope with :func:`app.engine.clustering.cluster`, the same pure
   function a from-scratch ``recluster`` uses, so the partition depends only on the
   records ingested.
5. **Stable ids** (:mod:`.ids`). Old customers keep their ids where they can; every
   change is a history event.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from app.engine.clustering import Link, cluster
from app.engine.matching import MatchModel
from app.engine.ports import ResolutionUnit
from app.engine.resolution.config import Pair, ResolutionConfig
from app.engine.resolution.evidence import write_links, write_records
from app.engine.resolution.ids import Assignment, assign_ids, new_event_id
from app.engine.resolution.quarantine import requarantine, shared_verdict
from app.engine.resolution.scope import Scope, walk_scope
from app.engine.scoring import record_links
from app.engine.similarity import SimilarityMatcher
from graph_models.customers import Change, RecordResult
from graph_models.records import NormalisedRecord


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
            for pair in record_links(old_keys):
                removed[pair].add(key)
        times: dict[str, datetime] = {}
        for record in to_write:
            times[record.key] = record.observed_at
            ident_keys = [i.key for i in record.identifiers]
            if record.key in existing:
                refresh.update(ident_keys)
            for pair in record_links(ident_keys):
                added[pair].add(record.key)

        unit.lock_customers_of(sorted({i.key for r in to_write for i in r.identifiers} | refresh))
        if replaced:
            unit.delete_observations(replaced)
        created = write_records(unit, to_write)
        orphans: set[str] = set()
        if refresh:
            counts = unit.refresh_identifier_stats(sorted(refresh))
            orphans = {k for k, n in counts.items() if n == 0}

        touched = sorted(set(added) | set(removed))
        written = write_links(unit, self.config.scoring, touched, added, removed, times, created)
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
        flipped, released_neighbours = requarantine(unit, self.config, sorted(endpoints - quiet))
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
            _triggers(to_write),
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
        scope = walk_scope(
            unit,
            seeds,
            self.config.threshold,
            self.config.attribute_policies,
            orphan_customers=orphan_customers,
            local=local,
        )
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

    def shared_verdict(self, kind: str, neighbour_kinds: dict[str, int]) -> tuple[bool, str | None]:
        """:func:`.quarantine.shared_verdict` with this engine's limits."""
        return shared_verdict(self.config, kind, neighbour_kinds)

    # ------------------------------------------------------------------ writes
    @staticmethod
    def _write_assignment(
        unit: ResolutionUnit, scope: Scope, assignment: Assignment, now: datetime
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


def _triggers(records: list[NormalisedRecord]) -> dict[str, str]:
    """identifier key -> the first (by key) record of the batch that observed it."""
    trigger: dict[str, str] = {}
    for record in sorted(records, key=lambda r: r.key):
        for ident in record.identifiers:
            trigger.setdefault(ident.key, record.key)
    return trigger
