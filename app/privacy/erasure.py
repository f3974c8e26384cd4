"""Erasure: a person's identifiers and the evidence built from them leave the graph."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from app.backup.catalog import BackupCatalog
from app.core.errors import NotFoundError
from app.engine.core import Engine
from app.engine.ports import ResolutionUnit, Transactions
from app.engine.resolution import new_event_id
from app.privacy.removal import remove
from app.privacy.suppression import Suppression, keyed_hash
from graph_models.customers import Change, ChangeType, ErasureReport


class ErasureService:
    """Erases identifiers: every record that observed one loses it and all its attributes
    (a record left with no identifier is deleted), the links built from them go, and what
    remains is re-evaluated in the same transaction. Identifier keys in history reasons
    become keyed hashes; with suppression on, the hashes keep them from coming back.

    Args:
        store: runs the erasure in one write transaction.
        engine: normaliser (lookups' normalisation), resolver and match model.
        suppression: the erasure key and the suppression list.
        backups: the record of backups taken; the report names those taken before the
            erasure that still exist (they hold the erased values).
    """

    def __init__(
        self,
        store: Transactions,
        engine: Engine,
        suppression: Suppression,
        backups: BackupCatalog | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.suppression = suppression
        self.backups = backups

    def erase_identifier(self, kind: str, value: str) -> ErasureReport:
        """Erase one identifier (normalised as in lookups) and the evidence built from it."""
        key = self.engine.identifier_key(kind, value)
        return self._erase(lambda unit: [key] if unit.customers_of([key]) else None, key)

    def erase_customer(self, customer_id: str) -> ErasureReport:
        """Erase every identifier of a customer (a merged-away id erases its survivor)."""

        def members(unit: ResolutionUnit) -> list[str] | None:
            found = unit.customer_members_of(customer_id)
            return found[1] if found else None

        return self._erase(members, customer_id)

    def _erase(
        self, select: Callable[[ResolutionUnit], list[str] | None], subject: str
    ) -> ErasureReport:
        now = datetime.now(UTC)
        suppress = self.suppression.enabled

        def work(unit: ResolutionUnit) -> ErasureReport:
            keys = select(unit)
            if keys is None:
                raise NotFoundError(f"nothing to erase: {subject} is not in the graph")
            secret = self.suppression.secret(unit)
            before = {c for c, _ in unit.customers_of(keys).values() if c}
            removal = remove(unit, self.engine, secret, now, identifiers=keys)
            if suppress:
                unit.suppress(sorted(keyed_hash(secret, k) for k in keys), now.isoformat())
            subject_hash = keyed_hash(secret, subject)
            event = Change(
                type=ChangeType.ERASED,
                customer_id=sorted(before)[0] if before else "",
                before=sorted(before),
                after=[],
                reason=f"erased {len(keys)} identifier(s) on request (subject "
                f"{subject_hash[:16]}); suppression {'on' if suppress else 'off'}",
            )
            if before:
                unit.create_events(
                    [{"event_id": new_event_id(), **event.model_dump(mode="json")}],
                    now.isoformat(),
                )
            return ErasureReport(
                subject=subject_hash,
                identifiers_erased=len(keys),
                records_scrubbed=len(removal.records_scrubbed),
                records_deleted=len(removal.records_deleted),
                suppressed=suppress,
                customers_affected=sorted(before),
                changes=[*removal.changes, event],
            )

        report = self.store.in_write_transaction(work)
        if self.backups is not None:
            report.backups_holding_erased_data = self.backups.holding_data_of(now)
        return report
