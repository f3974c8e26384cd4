"""Apply the retention rules: expired records and identifiers go the way erasure takes them.

Each rule is applied in batches of ``batch_size`` expired records (a source rule) or
identifiers (a kind rule), in key order, one write transaction per batch: the batch is
selected, removed through :func:`app.privacy.removal.remove` (observations, links,
look-alike evidence, orphaned identifiers, customers re-evaluated) and a ``retention``
event naming the rule is written for each customer it touched. A run that is stopped
(killed, or ``max_batches`` reached) has committed the batches before; running again finds
what is still expired and finishes the work.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from threading import Event

from app.engine.core import Engine
from app.engine.ports import ResolutionUnit, Transactions
from app.engine.resolution import new_event_id
from app.privacy.removal import Removal, remove
from app.privacy.retention.rules import RetentionRule
from app.privacy.suppression import Suppression
from graph_models.customers import Change, ChangeType

#: Expired records or identifiers per transaction.
DEFAULT_BATCH_SIZE = 500


@dataclass
class RuleOutcome:
    """What one rule removed (or, in a dry run, would remove); no personal values.

    Attributes:
        rule: the rule.
        cutoff: what was observed (source) or last seen (kind) before this has expired.
        expired: expired records (source rule) or identifiers (kind rule) found.
        identifiers_removed: identifiers that left the graph (a source rule's records
            take with them the identifiers no other record observes).
        records_deleted: records deleted.
        records_scrubbed: records that stay with fewer identifiers (kind rule).
        customers_affected: customers whose identifiers went.
        record_refs: dry run: the records (``source|record_id``) that would be deleted
            (source rule) or would lose an identifier (kind rule).
        batches: transactions run.
    """

    rule: RetentionRule
    cutoff: datetime
    expired: int = 0
    identifiers_removed: int = 0
    records_deleted: int = 0
    records_scrubbed: int = 0
    customers_affected: int = 0
    record_refs: list[str] = field(default_factory=list)
    batches: int = 0


@dataclass
class RetentionReport:
    """A whole run.

    Attributes:
        at: when the run started (cutoffs are counted back from it).
        dry_run: nothing was changed.
        complete: every rule ran to the end (False: ``max_batches`` stopped the run; run
            it again to finish).
        rules: one outcome per rule, in the order configured.
    """

    at: datetime
    dry_run: bool
    complete: bool = True
    rules: list[RuleOutcome] = field(default_factory=list)


#: ``progress(rule, done, total)`` after each batch (``total`` counted at the rule's start).
Progress = Callable[[RetentionRule, int, int], None]


def _no_progress(_: RetentionRule, __: int, ___: int) -> None:
    return None


class RetentionService:
    """Removes what the retention rules say has expired.

    Args:
        store: one write transaction per batch (a read transaction in a dry run).
        engine: the resolver and match model that re-evaluate what remains.
        suppression: the keyed-hash key for scrubbing history reasons (retention does not
            suppress: a record sent again later is new data, kept for its own period).
        rules: the configured rules (:func:`app.privacy.retention.rules.parse_rules`).
        batch_size: expired records or identifiers per transaction.
    """

    def __init__(
        self,
        store: Transactions,
        engine: Engine,
        suppression: Suppression,
        rules: list[RetentionRule],
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self.store = store
        self.engine = engine
        self.suppression = suppression
        self.rules = rules
        self.batch_size = batch_size

    def apply(
        self,
        dry_run: bool = False,
        max_batches: int | None = None,
        progress: Progress = _no_progress,
        now: datetime | None = None,
        stop: Event | None = None,
    ) -> RetentionReport:
        """Apply every rule (or, with ``dry_run``, find what each would remove).

        Args:
            dry_run: change nothing; list the records concerned.
            max_batches: stop after this many transactions (the rest stays for the next run).
            progress: called after each batch.
            now: the run's time (tests); cutoffs are ``now`` minus each rule's period.
            stop: set by another thread to stop after the current batch (API shutdown).
        """
        at = now or datetime.now(UTC)
        report = RetentionReport(at=at, dry_run=dry_run)
        budget = max_batches
        for rule in self.rules:
            outcome = RuleOutcome(rule=rule, cutoff=rule.keep_for.before(at))
            report.rules.append(outcome)
            if (budget is not None and budget <= 0) or (stop is not None and stop.is_set()):
                report.complete = False
                continue
            ran, finished = self._apply_rule(outcome, dry_run, budget, progress, at, stop)
            # a record observing two expired identifiers is listed once
            outcome.record_refs = list(dict.fromkeys(outcome.record_refs))
            if budget is not None:
                budget -= ran
            report.complete = report.complete and finished
        return report

    def _apply_rule(
        self,
        outcome: RuleOutcome,
        dry_run: bool,
        budget: int | None,
        progress: Progress,
        at: datetime,
        stop: Event | None,
    ) -> tuple[int, bool]:
        """Run the rule's batches; (batches run, whether it ran to the end)."""
        rule, cutoff = outcome.rule, outcome.cutoff.isoformat()
        total = self.store.in_read_transaction(
            lambda unit: unit.count_expired(rule.source, rule.kind, cutoff)
        )
        progress(rule, 0, total)
        after, ran = "", 0
        customers: set[str] = set()
        while (budget is None or ran < budget) and not (stop is not None and stop.is_set()):
            # A retried transaction runs ``work`` again from scratch: it returns what it
            # did and the counts are added here, once, from the attempt that committed.
            def work(unit: ResolutionUnit, after: str = after) -> _Batch:
                keys = self._expired(unit, rule, cutoff, after)
                if not keys or dry_run:
                    return _Batch(keys, refs=self._refs(unit, rule, keys) if keys else [])
                return self._remove(unit, rule, keys, at)

            run = self.store.in_read_transaction if dry_run else self.store.in_write_transaction
            batch = run(work)
            if not batch.keys:
                return ran, True
            ran += 1
            outcome.batches += 1
            outcome.expired += len(batch.keys)
            outcome.record_refs.extend(batch.refs)
            outcome.identifiers_removed += batch.identifiers_removed
            outcome.records_deleted += batch.records_deleted
            outcome.records_scrubbed += batch.records_scrubbed
            customers |= batch.customers
            outcome.customers_affected = len(customers)
            progress(rule, outcome.expired, max(total, outcome.expired))
            after = batch.keys[-1]
        more = self.store.in_read_transaction(lambda unit: self._expired(unit, rule, cutoff, after))
        return ran, not more

    def _expired(
        self, unit: ResolutionUnit, rule: RetentionRule, cutoff: str, after: str
    ) -> list[str]:
        if rule.source is not None:
            return unit.expired_records(rule.source, cutoff, after, self.batch_size)
        assert rule.kind is not None
        return unit.expired_identifiers(rule.kind, cutoff, after, self.batch_size)

    @staticmethod
    def _refs(unit: ResolutionUnit, rule: RetentionRule, keys: list[str]) -> list[str]:
        if rule.source is not None:
            return keys
        return sorted(row["key"] for row in unit.records_observing(keys))

    def _remove(
        self, unit: ResolutionUnit, rule: RetentionRule, keys: list[str], at: datetime
    ) -> _Batch:
        """Remove one batch and write a retention event per customer it touched."""
        secret = self.suppression.secret(unit)
        if rule.source is not None:
            removal = remove(unit, self.engine, secret, at, records=keys, keep_attributes=True)
        else:
            removal = remove(unit, self.engine, secret, at, identifiers=keys, keep_attributes=True)
        events = self._events(rule, removal)
        if events:
            unit.create_events(
                [{"event_id": new_event_id(), **e.model_dump(mode="json")} for e in events],
                at.isoformat(),
            )
        return _Batch(
            keys,
            identifiers_removed=len(removal.identifiers_gone),
            records_deleted=len(removal.records_deleted),
            records_scrubbed=len(removal.records_scrubbed),
            customers={e.customer_id for e in events},
        )

    @staticmethod
    def _events(rule: RetentionRule, removal: Removal) -> list[Change]:
        """One ``retention`` event per customer that lost a record or an identifier."""
        identifiers = Counter(
            removal.customers_before[k]
            for k in removal.identifiers_gone
            if k in removal.customers_before
        )
        records = Counter(
            c for key in removal.records_deleted for c in removal.record_customers.get(key, ())
        )
        return [
            Change(
                type=ChangeType.RETENTION,
                customer_id=customer_id,
                before=[customer_id],
                after=[],
                reason=f"retention rule {rule.describe()}: {records[customer_id]} record(s) "
                f"and {identifiers[customer_id]} identifier(s) of this customer expired and "
                "were removed",
            )
            for customer_id in sorted(set(identifiers) | set(records))
        ]


@dataclass
class _Batch:
    """What one transaction found and did (counted by the caller once it committed)."""

    keys: list[str]
    refs: list[str] = field(default_factory=list)
    identifiers_removed: int = 0
    records_deleted: int = 0
    records_scrubbed: int = 0
    customers: set[str] = field(default_factory=set)
