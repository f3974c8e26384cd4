"""Erasure: a person's identifiers and the evidence built from them leave the graph."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from app.core.errors import NotFoundError
from app.engine.core import Engine
from app.engine.normalize import content_hash
from app.engine.ports import ResolutionUnit, Transactions
from app.engine.resolution import new_event_id
from app.privacy.suppression import Suppression, keyed_hash
from graph_models.customers import Change, ChangeType, ErasureReport
from graph_models.identifiers import Identifier
from graph_models.records import NormalisedRecord


class ErasureService:
    """Erases identifiers: every record that observed one loses it and all its attributes
    (a record left with no identifier is deleted), the links built from them go, and what
    remains is re-evaluated in the same transaction. Identifier keys in history reasons
    become keyed hashes; with suppression on, the hashes keep them from coming back.

    Args:
        store: runs the erasure in one write transaction.
        engine: normaliser (lookups' normalisation), resolver and match model.
        suppression: the erasure key and the suppression list.
    """

    def __init__(self, store: Transactions, engine: Engine, suppression: Suppression) -> None:
        self.store = store
        self.engine = engine
        self.suppression = suppression

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
            hashes = {k: keyed_hash(secret, k) for k in keys}
            before = {c for c, _ in unit.customers_of(keys).values() if c}
            unit.delete_overrides_of(keys)
            erased = set(keys)
            scrubbed = []
            for row in unit.records_observing(keys):
                remaining = tuple(
                    Identifier(kind=i["kind"], value=i["value"])
                    for i in sorted(row["identifiers"], key=lambda i: i["key"])
                    if i["key"] not in erased
                )
                scrubbed.append(
                    NormalisedRecord(
                        source=row["source"],
                        record_id=row["record_id"],
                        observed_at=row["observed_at"],
                        identifiers=remaining,
                        attributes={},
                        content_hash=content_hash(row["observed_at"].isoformat(), remaining, {}),
                    )
                )
            resolver = self.engine.resolver
            results = (
                resolver.ingest(unit, scrubbed, now, self.engine.match_model(unit))
                if scrubbed
                else []
            )
            empty = [r.key for r in scrubbed if not r.identifiers]
            if empty:
                unit.delete_empty_records(empty)
            unit.scrub_text([(k, f"[erased {h[:16]}]") for k, h in sorted(hashes.items())])
            if suppress:
                unit.suppress(sorted(hashes.values()), now.isoformat())
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
            changes = {c.model_dump_json(): c for r in results for c in r.changes}
            for change in changes.values():
                for key, digest in hashes.items():
                    change.reason = change.reason.replace(key, f"[erased {digest[:16]}]")
            return ErasureReport(
                subject=subject_hash,
                identifiers_erased=len(keys),
                records_scrubbed=len(scrubbed) - len(empty),
                records_deleted=len(empty),
                suppressed=suppress,
                customers_affected=sorted(before),
                changes=[*changes.values(), event],
            )

        return self.store.in_write_transaction(work)
