"""``POST /v1/what-if``: predict what a proposed change would do, writing nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from app.core.errors import ConflictError, FieldError, InvalidInputError, NotFoundError
from app.engine.core import Engine
from app.engine.matching import blocking_keys, profile_of
from app.engine.ports import ObservingRecord, ResolutionUnit
from app.engine.resolution import Assignment, Scope, assign_ids
from app.engine.scoring import link_probability, record_links
from app.engine.similarity import best_pairs, profile_of_record, record_anchor, split_pair_key
from app.store.whatif import WhatIfReads
from app.whatif.scope import Overlay, cluster_scope, pair_of, read_scope
from graph_models.customers import Change, ChangeType
from graph_models.records import NormalisedRecord
from graph_models.whatif import CustomerOutcome, IdentifierMove, WhatIfRequest, WhatIfResult

T = TypeVar("T")
PROPOSALS = ("override", "quarantine", "add_record", "erase")
#: How a proposed override is named in predicted reasons.
WHAT_IF_OVERRIDE = "O-what-if"


def _kind(key: str) -> str:
    return key.split(":", 1)[0]


@dataclass
class Plan:
    """A proposal made concrete: the overlay, where the engine would start, and why."""

    proposal: str
    overlay: Overlay = field(default_factory=Overlay)
    seeds: set[str] = field(default_factory=set)
    triggers: dict[str, str] = field(default_factory=dict)
    flipped: dict[str, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    exact: bool = True
    #: identifier -> its customer now, for identifiers the change would delete
    deleted: dict[str, str | None] = field(default_factory=dict)


class WhatIf:
    """Predicts the outcome of a change with the engine's own walk, clustering and ids.

    Args:
        run_read: runs a function in one read transaction (Neo4j refuses writes in it).
        engine: the normaliser, the engine's configuration and the active match model.
    """

    def __init__(
        self, run_read: Callable[[Callable[[WhatIfReads], Any]], Any], engine: Engine
    ) -> None:
        self.run_read = run_read
        self.engine = engine
        self.config = engine.config

    def predict(self, request: WhatIfRequest) -> WhatIfResult:
        given = [name for name in PROPOSALS if getattr(request, name) is not None]
        if len(given) != 1:
            raise InvalidInputError(
                "give exactly one proposed change",
                [FieldError((), f"exactly one of {', '.join(PROPOSALS)} (got {len(given)})")],
            )
        now = datetime.now(UTC)
        if request.override is not None:
            proposal = request.override
            a = self.engine.parse_ref(proposal.a, "override", "a")
            b = self.engine.parse_ref(proposal.b, "override", "b")
            if a == b:
                raise InvalidInputError(
                    "a and b are the same identifier",
                    [FieldError(("override", "b"), "must differ from a")],
                )
            decision = proposal.decision.value
            return self._run(lambda reads: self._override(reads, a, b, decision), now)
        if request.quarantine is not None:
            key = self.engine.parse_ref(request.quarantine, "quarantine")
            return self._run(lambda reads: self._quarantine(reads, key), now)
        if request.add_record is not None:
            record = self._normalise(request.add_record)
            return self._run(lambda reads: self._add_record(reads, record), now)
        assert request.erase is not None
        key = self.engine.parse_ref(request.erase, "erase")
        return self._run(lambda reads: self._erase(reads, key), now)

    def _normalise(self, record: Any) -> NormalisedRecord:
        try:
            return self.engine.normaliser.record(record)
        except InvalidInputError as exc:
            raise InvalidInputError(
                exc.message,
                [dataclasses.replace(e, field=("add_record", *e.field)) for e in exc.errors],
            ) from None

    # ------------------------------------------------------------------ the outcome
    def _run(
        self, plan_of: Callable[[WhatIfReads], Plan | WhatIfResult], now: datetime
    ) -> WhatIfResult:
        def work(reads: WhatIfReads) -> WhatIfResult:
            plan = plan_of(reads)
            if isinstance(plan, WhatIfResult):
                return plan
            scope = read_scope(
                reads,
                plan.seeds,
                plan.overlay,
                self.config.threshold,
                self.config.attribute_policies,
                {c for c in plan.deleted.values() if c},
            )
            clustering = cluster_scope(scope, self.config)
            assignment = assign_ids(scope, clustering, plan.triggers, plan.flipped, now)
            return _outcome(plan, scope, assignment)

        return cast(WhatIfResult, self.run_read(work))

    # ------------------------------------------------------------------ proposals
    def _require(self, reads: WhatIfReads, key: str, field_name: str) -> dict[str, Any]:
        row = reads.identifier(key)
        if row is None:
            raise NotFoundError(f"{field_name}: no identifier {key} in the graph")
        return row

    def _override(self, reads: WhatIfReads, a: str, b: str, decision: str) -> Plan:
        self._require(reads, a, "a")
        self._require(reads, b, "b")
        existing = reads.override_between(a, b)
        if existing is not None:
            raise ConflictError(
                f"override {existing['override_id']} ({existing['decision']}) already concerns "
                f"{a} and {b}"
            )
        verdict = "the same customer" if decision == "same" else "different customers"
        plan = Plan(proposal=f"override: {a} and {b} are {verdict}")
        plan.overlay.overrides.append(
            {
                "override_id": WHAT_IF_OVERRIDE,
                "a": a,
                "b": b,
                "decision": decision,
                "reason": "proposed",
                "actor": "what-if",
            }
        )
        plan.seeds = {a, b}
        return plan

    def _quarantine(self, reads: WhatIfReads, key: str) -> Plan:
        row = self._require(reads, key, "quarantine")
        if row["shared"]:
            raise ConflictError(f"{key} is quarantined as shared already: {row['shared_reason']}")
        plan = Plan(proposal=f"quarantine {key} as shared")
        plan.overlay.shared[key] = True
        plan.seeds = {key}
        plan.flipped = {key: "quarantined (what-if)"}
        plan.notes.append(
            "the shared rule is re-checked whenever the identifier's links change: quarantining "
            "by hand lasts until then (or until idgraph recluster)"
        )
        return plan

    def _add_record(self, reads: WhatIfReads, record: NormalisedRecord) -> Plan | WhatIfResult:
        proposal = f"add record {record.key}"
        stored = reads.fetch_records([record.key])
        if record.key in stored:
            if stored[record.key][0] == record.content_hash:
                return WhatIfResult(
                    proposal=proposal,
                    notes=["this record is stored already with this content: nothing changes"],
                )
            raise ConflictError(
                f"record {record.key} exists with other content; what-if predicts new records "
                "only (a replacement is not supported yet)"
            )
        plan = Plan(proposal=proposal)
        record = self._without_suppressed(reads, record, plan)
        ids = sorted({i.key for i in record.identifiers})
        existing = set(reads.customers_of(ids))
        overlay = plan.overlay
        overlay.new_nodes = set(ids) - existing
        plan.triggers = dict.fromkeys(ids, record.key)
        # co-observation: the record is one more piece of evidence on each link it makes
        pairs = record_links(ids)
        current = reads.fetch_links([p for p in pairs if p[0] in existing and p[1] in existing])
        gained: dict[str, set[str]] = defaultdict(set)
        for a, b in pairs:
            records = set(current.get((a, b), ([], None, None))[0]) | {record.key}
            overlay.links[((a, b), "LINKED")] = link_probability(
                _kind(a), _kind(b), records, self.config.scoring
            )
            if (a, b) not in current:
                gained[a].add(b)
                gained[b].add(a)
        self._similar(reads, record, ids, plan)
        overlay.attributes = [
            (key, record.key, name, value)
            for key in ids
            for name, value in sorted(record.attributes.items())
        ]
        self._requarantine(reads, gained, existing, plan)
        plan.seeds = set(ids) | {k for (pair, _) in overlay.links for k in pair} | set(plan.flipped)
        return plan

    def _without_suppressed(
        self, reads: WhatIfReads, record: NormalisedRecord, plan: Plan
    ) -> NormalisedRecord:
        """Drop erased-and-suppressed identifiers, as ingestion would."""
        if not self.engine.settings.erasure_suppression or not reads.any_suppressed():
            return record
        secret = self.engine.settings.erasure_key or reads.erasure_secret_read()
        if secret is None:
            return record
        hashed = {
            i.key: hmac.new(secret.encode(), i.key.encode(), hashlib.sha256).hexdigest()
            for i in record.identifiers
        }
        blocked = reads.suppressed_among(sorted(set(hashed.values())))
        if not blocked:
            return record
        kept = tuple(i for i in record.identifiers if hashed[i.key] not in blocked)
        plan.notes.append(
            f"{len(record.identifiers) - len(kept)} identifier(s) of the record were erased "
            "before and are suppressed: ingestion would drop them"
        )
        return record.model_copy(update={"identifiers": kept})

    def _similar(
        self, reads: WhatIfReads, record: NormalisedRecord, ids: list[str], plan: Plan
    ) -> None:
        """Look-alike evidence the record would bring: its blocks, candidates, scores."""
        model = self.engine.match_model(cast(ResolutionUnit, reads))
        profile = profile_of_record(record)
        anchor = record_anchor(ids)
        if model is None or profile is None or anchor is None:
            return
        cap = self.config.matching.max_block
        blocks = blocking_keys(profile)
        sizes = reads.block_sizes(blocks)
        crossing = sorted(b for b in blocks if sizes.get(b, 0) == cap)
        if crossing:
            plan.exact = False
            plan.notes.append(
                f"the record would push {len(crossing)} blocking key(s) over the block limit "
                f"({cap}); their records would be re-matched, which this prediction leaves out"
            )
        # blocks that would still be at most ``cap`` with the record in them
        members = reads.block_members(blocks, cap - 1)
        candidates = {m for ms in members.values() for m in ms} - {record.key}
        profiles = {}
        anchors: dict[str, str | None] = {}
        for row in reads.match_profiles(sorted(candidates)) if candidates else []:
            found = profile_of(row["key"], row["attributes"], row["identifiers"])
            if found is not None:
                profiles[row["key"]] = found
                anchors[row["key"]] = record_anchor(row["identifiers"])
        kept = best_pairs(
            {record.key: profile},
            {record.key: candidates},
            profiles,
            model,
            self.config.matching.min_probability,
            self.config.matching.one_per_person,
        )
        best: dict[tuple[str, str], float] = {}
        for (x, y), scored in kept.items():
            other = anchors.get(y if x == record.key else x)
            if other is None or other == anchor:
                continue
            pair = pair_of(anchor, other)
            best[pair] = max(scored.match_probability, best.get(pair, 0.0))
        for row in reads.similar_between(sorted(best)) if best else []:
            pair = (row["a"], row["b"])
            if pair in best:
                best[pair] = max([best[pair], *row["pair_probabilities"]])
        for pair, p in best.items():
            plan.overlay.links[(pair, "SIMILAR")] = p

    def _requarantine(
        self,
        reads: WhatIfReads,
        gained: dict[str, set[str]],
        existing: set[str],
        plan: Plan,
    ) -> None:
        """The shared rule for identifiers that would gain neighbours."""
        stored = reads.neighbour_kinds(sorted(k for k in gained if k in existing), -1)
        for key in sorted(gained):
            kind, shared, counts = stored.get(key, (_kind(key), False, {}))
            if shared:
                continue
            counts = dict(counts)
            for other in gained[key]:
                counts[_kind(other)] = counts.get(_kind(other), 0) + 1
            now_shared, reason = self.engine.resolver.shared_verdict(kind, counts)
            if now_shared:
                plan.overlay.shared[key] = True
                plan.flipped[key] = reason

    def _erase(self, reads: WhatIfReads, key: str) -> Plan:
        """As ``DELETE /v1/identifiers``: the identifier goes; every record that observed it
        loses it and all its attributes (a record left with no identifier goes too)."""
        self._require(reads, key, "erase")
        plan = Plan(proposal=f"erase {key} and the evidence built from it")
        overlay = plan.overlay
        overlay.removed_nodes = {key}
        plan.deleted = {key: reads.customers_of([key]).get(key, (None, None))[0]}
        overlay.removed_overrides = {o["override_id"] for o in reads.overrides_of([key])}
        records = sorted(reads.records_observing([key]), key=lambda r: r["key"])
        overlay.scrubbed_records = {r["key"] for r in records}
        lost: dict[tuple[str, str], set[str]] = defaultdict(set)
        won: dict[tuple[str, str], set[str]] = defaultdict(set)
        for record in records:
            old = sorted(i["key"] for i in record["identifiers"])
            kept = [k for k in old if k != key]
            for pair in record_links(old):
                lost[pair].add(record["key"])
            for pair in record_links(kept):  # the anchor may move to another identifier
                won[pair].add(record["key"])
            for k in kept:
                plan.triggers.setdefault(k, record["key"])
        pairs = sorted(set(lost) | set(won))
        current = reads.fetch_links([p for p in pairs if key not in p])
        dropped: dict[str, set[str]] = defaultdict(set)
        gained: dict[str, set[str]] = defaultdict(set)
        for a, b in pairs:
            if key in (a, b):
                dropped[b if a == key else a].add(key)
                continue
            before = set(current.get((a, b), ([], None, None))[0])
            after = (before - lost[(a, b)]) | won[(a, b)]
            if after == before:
                continue
            overlay.links[((a, b), "LINKED")] = (
                link_probability(_kind(a), _kind(b), after, self.config.scoring) if after else None
            )
            if before and not after:
                dropped[a].add(b)
                dropped[b].add(a)
            elif after and not before:
                gained[a].add(b)
                gained[b].add(a)
        self._forget_look_alikes(reads, records, key, plan)
        self._recheck_shared(reads, dropped, gained, plan)
        plan.seeds = (
            {k for r in records for i in r["identifiers"] if (k := i["key"]) != key}
            | {k for (pair, _) in overlay.links for k in pair}
            | set(plan.flipped)
        ) - {key}
        return plan

    def _forget_look_alikes(
        self, reads: WhatIfReads, records: list[ObservingRecord], key: str, plan: Plan
    ) -> None:
        """The scrubbed records keep no attributes: every look-alike pair of theirs goes,
        and blocks they leave may fall back under the block limit."""
        scrubbed = plan.overlay.scrubbed_records
        anchors = sorted(
            {a for r in records if (a := record_anchor(i["key"] for i in r["identifiers"]))} - {key}
        )
        for row in reads.similar_of(anchors) if anchors else []:
            kept = [
                p
                for text, p in zip(row["pairs"], row["pair_probabilities"], strict=True)
                if not scrubbed & set(split_pair_key(text))
            ]
            if len(kept) < len(row["pairs"]):
                plan.overlay.links[((row["a"], row["b"]), "SIMILAR")] = max(kept, default=None)
        leaving: dict[str, int] = defaultdict(int)
        for row in reads.match_profiles(sorted(scrubbed)) if scrubbed else []:
            profile = profile_of(row["key"], row["attributes"], row["identifiers"])
            for block in blocking_keys(profile) if profile is not None else []:
                leaving[block] += 1
        cap = self.config.matching.max_block
        sizes = reads.block_sizes(sorted(leaving))
        crossing = [b for b, n in leaving.items() if sizes.get(b, 0) > cap >= sizes[b] - n]
        if crossing:
            plan.exact = False
            plan.notes.append(
                f"{len(crossing)} blocking key(s) would fall back under the block limit ({cap}); "
                "their records would be re-matched, which this prediction leaves out"
            )

    def _recheck_shared(
        self,
        reads: WhatIfReads,
        dropped: dict[str, set[str]],
        gained: dict[str, set[str]],
        plan: Plan,
    ) -> None:
        """The shared rule for identifiers whose linked neighbours would change."""
        candidates = sorted((set(dropped) | set(gained)) - plan.overlay.removed_nodes)
        stored = reads.neighbour_kinds(candidates, -1) if candidates else {}
        for key in candidates:
            kind, shared, counts = stored.get(key, (_kind(key), False, {}))
            counts = dict(counts)
            for other in dropped.get(key, ()):
                counts[_kind(other)] = counts.get(_kind(other), 0) - 1
            for other in gained.get(key, ()):
                counts[_kind(other)] = counts.get(_kind(other), 0) + 1
            now_shared, reason = self.engine.resolver.shared_verdict(kind, counts)
            if now_shared != shared:
                plan.overlay.shared[key] = now_shared
                plan.flipped[key] = reason


def _outcome(plan: Plan, scope: Scope, assignment: Assignment) -> WhatIfResult:
    """The prediction in the API's terms; ids the change would create are new-1, new-2..."""
    existing = set(scope.customers) | {c for c in scope.old_customer.values() if c}
    fresh = sorted(
        (cid for cid in assignment.members if cid not in existing),
        key=lambda cid: min(assignment.members[cid]),
    )
    rename = {cid: f"new-{n}" for n, cid in enumerate(fresh, 1)}

    def named(cid: str | None) -> str | None:
        return None if cid is None else rename.get(cid, cid)

    changes = [
        Change(
            type=c.type,
            customer_id=named(c.customer_id) or "",
            before=[named(x) or "" for x in c.before],
            after=[named(x) or "" for x in c.after],
            reason=c.reason,
            trigger_record=c.trigger_record,
        )
        for c in assignment.changes
    ]
    new_of = {k: cid for cid, members in assignment.members.items() for k in members}
    old_members: dict[str, set[str]] = {cid: set(m) for cid, (_, m) in scope.customers.items()}
    for k, cid in scope.old_customer.items():
        if cid is not None:
            old_members.setdefault(cid, set()).add(k)
    moved = [
        IdentifierMove(key=k, before=scope.old_customer.get(k), after=named(new_of.get(k)))
        for k in sorted(scope.shared)
        if scope.old_customer.get(k) != named(new_of.get(k))
    ]
    moved += [IdentifierMove(key=k, before=c, after=None) for k, c in sorted(plan.deleted.items())]
    customers = [
        CustomerOutcome(
            customer_id=named(cid) or cid,
            new=cid in rename,
            identifiers=sorted(members),
            from_customers=sorted({c for k in members if (c := scope.old_customer.get(k))}),
        )
        for cid, members in sorted(assignment.members.items(), key=lambda kv: min(kv[1]))
        if cid in rename or set(members) != old_members.get(cid, set())
    ]
    return WhatIfResult(
        proposal=plan.proposal,
        merges=[c.before for c in changes if c.type is ChangeType.MERGED],
        splits={c.customer_id: c.after for c in changes if c.type is ChangeType.SPLIT},
        moved=moved,
        customers=customers,
        quarantined=sorted(k for k, flag in plan.overlay.shared.items() if flag),
        released=sorted(k for k, flag in plan.overlay.shared.items() if not flag),
        changes=changes,
        exact=plan.exact,
        notes=plan.notes,
    )
