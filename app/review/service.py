"""The review queue over the live graph, and decisions as overrides."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, cast

from app.core.config import Settings
from app.core.errors import ConflictError
from app.engine.core import Engine
from app.overrides.service import OverrideService
from app.store import catalog
from app.store.whatif import WhatIfReads
from app.whatif.scope import Overlay, cluster_scope, read_scope
from app.whatif.service import WhatIf
from graph_models.customers import (
    LinkEvidence,
    Override,
    OverrideDecision,
    OverrideRequest,
    record_pairs_of,
)
from graph_models.review import ReviewDecision, ReviewItem, ReviewKind, ReviewPage
from graph_models.whatif import ProposedOverride, WhatIfRequest

#: At most this many grey-zone pairs are ranked (closest to the threshold first).
MAX_PAIRS = 5000

RunRead = Callable[[Callable[[WhatIfReads], Any]], Any]


class ReviewQueue:
    """Lists review items and turns decisions into overrides.

    Args:
        run_read: runs a function in one read transaction.
        engine: the engine's configuration and normaliser.
        overrides: where decisions go.
        settings: the grey zone and the split rule.
    """

    def __init__(
        self, run_read: RunRead, engine: Engine, overrides: OverrideService, settings: Settings
    ) -> None:
        self.run_read = run_read
        self.engine = engine
        self.overrides = overrides
        self.settings = settings
        self.config = engine.config
        #: policy_split item id -> its cut links (filled by _splits)
        self._cuts: dict[str, list[tuple[str, str]]] = {}

    # ------------------------------------------------------------------ the queue
    def page(self, kind: ReviewKind | None, offset: int, limit: int) -> ReviewPage:
        """Items most useful first (score, then records concerned), paged."""

        def work(reads: WhatIfReads) -> tuple[int, list[ReviewItem]]:
            items: list[ReviewItem] = []
            if kind in (None, ReviewKind.PAIR):
                items += self._pairs(reads)
            if kind in (None, ReviewKind.POLICY_SPLIT):
                items += self._splits(reads)
            items.sort(key=lambda i: (-i.score, -i.records, i.item_id))
            chosen = items[offset : offset + limit]
            self._attach_evidence(reads, chosen)
            return len(items), chosen

        total, items = cast(tuple[int, list[ReviewItem]], self.run_read(work))
        return ReviewPage(
            items=items,
            total=total,
            offset=offset,
            limit=limit,
            grey_zone=(self.settings.review_min_probability, self.settings.review_max_probability),
            threshold=self.config.threshold,
        )

    def _pairs(self, reads: WhatIfReads) -> list[ReviewItem]:
        low, high = self.settings.review_min_probability, self.settings.review_max_probability
        t = self.config.threshold
        half_width = max(t - low, high - t, 1e-9)
        rows = reads.tx.run(
            catalog.query("queries/review_grey_links"),
            low=low,
            high=high,
            threshold=t,
            limit=MAX_PAIRS,
        )
        items = []
        for row in rows:
            a, b, p = row["a"], row["b"], row["match_probability"]
            joined = row["customer_a"] is not None and row["customer_a"] == row["customer_b"]
            items.append(
                ReviewItem(
                    item_id=f"pair:{a}|{b}",
                    kind=ReviewKind.PAIR,
                    score=round(max(0.0, 1 - abs(p - t) / half_width), 4),
                    a=a,
                    b=b,
                    customer_a=row["customer_a"],
                    customer_b=row["customer_b"],
                    match_probability=p,
                    records=len(set(row["records"] or [])),
                    question=(
                        f"joined at p={p:.2f}: are they one person?"
                        if joined
                        else f"kept apart at p={p:.2f} (below {t}): are they one person?"
                    ),
                )
            )
        return items

    def _splits(self, reads: WhatIfReads) -> list[ReviewItem]:
        """Policy splits as they stand now: the components around joinable links between
        two customers are re-clustered (read-only), and each policy cut whose removed
        evidence was at least ``review_split_min_cut`` strong is an item."""
        if self.settings.review_max_cut_links == 0:
            return []
        rows = reads.tx.run(
            catalog.query("queries/review_cut_links"),
            threshold=self.config.threshold,
            limit=self.settings.review_max_cut_links,
        )
        seeds = {key for row in rows for key in (row["a"], row["b"])}
        if not seeds:
            return []
        scope = read_scope(
            reads, seeds, Overlay(), self.config.threshold, self.config.attribute_policies
        )
        clustering = cluster_scope(scope, self.config)
        decided = {frozenset((o["a"], o["b"])) for o in scope.overrides.values()}
        floor = self.settings.review_split_min_cut
        items: dict[str, ReviewItem] = {}
        cuts = self._cuts
        for split in clustering.splits:
            if split.policy.startswith("override"):
                continue
            a, b = split.separated
            if frozenset((a, b)) in decided:
                continue
            kept = math.prod(1 - scope.links.get(pair, 0.0) for pair in split.cut)
            strength = 1 - kept
            if strength < floor:
                continue
            item_id = f"policy_split:{a}|{b}"
            cuts[item_id] = list(split.cut)
            items[item_id] = ReviewItem(
                item_id=item_id,
                kind=ReviewKind.POLICY_SPLIT,
                score=round(min(1.0, (strength - floor) / max(1 - floor, 1e-9)), 4),
                a=a,
                b=b,
                customer_a=scope.old_customer.get(a),
                customer_b=scope.old_customer.get(b),
                match_probability=round(strength, 6),
                records=0,
                evidence=[
                    LinkEvidence(a=x, b=y, rule="cut", match_probability=0.0) for x, y in split.cut
                ],
                policy=split.policy,
                field=split.field,
                conflicting_records=list(split.records or ()),
                question=f"'{split.policy}' cut evidence of p={strength:.4f}: confirm the split?",
            )
        return list(items.values())

    def _attach_evidence(self, reads: WhatIfReads, items: Sequence[ReviewItem]) -> None:
        """The stored evidence of each item's links (a pair's own; a split's cut links)."""
        pairs_of = {
            item.item_id: self._cuts.get(item.item_id, [(item.a, item.b)]) for item in items
        }
        wanted = sorted({pair for pairs in pairs_of.values() for pair in pairs})
        found: dict[tuple[str, str], list[LinkEvidence]] = {}
        for row in reads.link_evidence(wanted) if wanted else []:
            found.setdefault((row["a"], row["b"]), []).append(
                LinkEvidence(
                    a=row["a"],
                    b=row["b"],
                    rule=row["rule"],
                    records=row["records"] or [],
                    sources=row["sources"] or [],
                    first_seen=row["first_seen"],
                    last_seen=row["last_seen"],
                    match_probability=row["match_probability"],
                    match_weight=row["match_weight"],
                    below_threshold=row["match_probability"] < self.config.threshold,
                    record_pairs=record_pairs_of(
                        row.get("pairs"), row.get("pair_probabilities"), row.get("comparisons")
                    ),
                )
            )
        for item in items:
            item.evidence = [e for pair in pairs_of[item.item_id] for e in found.get(pair, [])]
            if item.kind is ReviewKind.POLICY_SPLIT:
                item.records = len({r for e in item.evidence for r in e.records})

    # ------------------------------------------------------------------ decisions
    def decide(self, decision: ReviewDecision, signed_by: str) -> Override:
        """Make the decision an override, at once. A must-link outranks the kind and
        attribute policies (the analyst has looked), but not quarantine: a "same" that
        would still not join the two (a shared identifier joins no customer) is refused
        with 409 before anything is written, from a what-if."""
        if decision.decision is OverrideDecision.SAME:
            proposal = ProposedOverride(a=decision.a, b=decision.b, decision=decision.decision)
            prediction = WhatIf(self.run_read, self.engine).predict(
                WhatIfRequest(override=proposal)
            )
            a = self.engine.parse_ref(decision.a, "a")
            b = self.engine.parse_ref(decision.b, "b")
            now = cast(
                dict[str, tuple[str | None, float | None]],
                self.run_read(lambda reads: reads.customers_of([a, b])),
            )
            after = {k: now.get(k, (None, None))[0] for k in (a, b)}
            after.update({m.key: m.after for m in prediction.moved if m.key in after})
            if after[a] is None or after[a] != after[b]:
                raise ConflictError(
                    f"a must-link would not join {a} and {b}: one of them joins no customer "
                    "(a shared identifier, see GET /v1/explain); record 'different' instead"
                )
        actor = signed_by + (f" ({decision.analyst})" if decision.analyst else "")
        return self.overrides.add(
            OverrideRequest(
                a=decision.a,
                b=decision.b,
                decision=decision.decision,
                reason=decision.reason,
                actor=actor[:200],
            )
        )
