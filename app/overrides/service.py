"""Add, read and remove overrides; each change re-evaluates the customers it concerns."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from app.core.errors import ConflictError, FieldError, InvalidInputError, NotFoundError
from app.engine.core import Engine
from app.engine.ports import CustomerOf, OverrideStore, ResolutionUnit
from app.engine.resolution import new_event_id, override_rule_name
from graph_models.customers import Change, ChangeType, Override, OverrideRequest


class OverrideService:
    """Analysts' decisions over the store.

    Args:
        store: where overrides live (written in resolution transactions).
        engine: normalises ``a`` and ``b``; re-evaluates their customers.
    """

    def __init__(self, store: OverrideStore, engine: Engine) -> None:
        self.store = store
        self.engine = engine

    def add(self, request: OverrideRequest) -> Override:
        """Store an analyst's same/different decision and apply it at once."""
        a, b = self.engine.parse_ref(request.a, "a"), self.engine.parse_ref(request.b, "b")
        if a == b:
            raise InvalidInputError(
                "a and b are the same identifier",
                [FieldError(("b",), "must differ from a")],
            )
        override_id = f"O-{uuid.uuid4().hex[:16]}"
        now = datetime.now(UTC)
        row = {
            "override_id": override_id,
            "a": a,
            "b": b,
            "decision": request.decision.value,
            "reason": request.reason,
            "actor": request.actor,
        }

        def work(unit: ResolutionUnit) -> Override:
            for key, field in ((a, "a"), (b, "b")):
                if not unit.customers_of([key]):
                    raise NotFoundError(f"{field}: no identifier {key} in the graph")
            existing = unit.override_between(a, b)
            if existing is not None:
                raise ConflictError(
                    f"override {existing['override_id']} ({existing['decision']}) already "
                    f"concerns {a} and {b}; DELETE it first"
                )
            before = unit.customers_of([a, b])
            unit.create_override(row, now.isoformat())
            return self._apply(unit, row, before, now, ChangeType.OVERRIDE)

        return self.store.in_write_transaction(work)

    def remove(self, override_id: str) -> Override:
        """Undo an override; the customers it shaped are re-evaluated at once."""
        now = datetime.now(UTC)

        def work(unit: ResolutionUnit) -> Override:
            row = unit.delete_override(override_id)
            if row is None:
                raise NotFoundError(f"no override {override_id}")
            before = unit.customers_of([row["a"], row["b"]])
            return self._apply(unit, row, before, now, ChangeType.OVERRIDE_REMOVED)

        return self.store.in_write_transaction(work)

    def get(self, override_id: str) -> Override:
        """One override, as stored."""
        row = self.store.get_override(override_id)
        if row is None:
            raise NotFoundError(f"no override {override_id}")
        return Override.model_validate(row)

    def _apply(
        self,
        unit: ResolutionUnit,
        row: dict[str, Any],
        before: dict[str, CustomerOf],
        now: datetime,
        kind: ChangeType,
    ) -> Override:
        a, b = row["a"], row["b"]
        assignment = self.engine.resolver.reevaluate(unit, {a, b}, now)
        after = unit.customers_of([a, b])
        ids_before = sorted({c for c, _ in before.values() if c})
        ids_after = sorted({c for c, _ in after.values() if c})
        reason = override_rule_name(row)
        if kind is ChangeType.OVERRIDE_REMOVED:
            reason = "removed " + reason
        event = Change(
            type=kind,
            customer_id=after[a][0] or (ids_after[0] if ids_after else ""),
            before=ids_before,
            after=ids_after,
            reason=reason,
        )
        if ids_after:
            unit.create_events(
                [{"event_id": new_event_id(), **event.model_dump(mode="json")}],
                now.isoformat(),
            )
        return Override(
            **{k: row[k] for k in ("override_id", "a", "b", "decision", "reason", "actor")},
            created_at=row.get("created_at") or now,
            customer_a=after[a][0],
            customer_b=after[b][0],
            changes=[*assignment.changes, event],
        )
