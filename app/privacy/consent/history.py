"""Consent in the customer history: statements recorded, and consent a merge or split
changed.

Each resolution step that re-evaluated customers compares, for every customer it left,
the consent derived from its records now with what was derived last time (kept on the
customer as ``consent_granted`` / ``consent_withdrawn``); a difference, or a new statement
on one of its records, is a ``consent`` event naming the records, never a person's values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from app.engine.ports import ConsentUnit, StatementRow
from app.privacy.consent.rules import describe, from_rows, latest, stated
from graph_models.customers import Change, ChangeType
from graph_models.records import NormalisedRecord


class ConsentHistory:
    """Writes ``consent`` events (and the per-customer summary) after a re-evaluation.

    The resolver calls :meth:`after_assignment` in the step's transaction; it does
    nothing (one read at most) where no statement is involved.
    """

    def after_assignment(
        self,
        unit: ConsentUnit,
        old_ids: Iterable[str],
        members: Mapping[str, Sequence[str]],
        changes: Sequence[Change],
        recorded: Sequence[NormalisedRecord],
    ) -> list[Change]:
        """The consent changes of this step (also written as the summary).

        Args:
            unit: the open transaction (records and memberships already written).
            old_ids: customers the step re-evaluated, as they were.
            members: customer id -> its identifiers, after the step.
            changes: the step's create / merge / split / retire changes.
            recorded: records written in this step that carry statements.
        """
        ids = sorted(set(old_ids) | set(members))
        before = unit.consent_state(ids) if ids else {}
        if not before and not recorded:
            return []
        keys = sorted({k for group in members.values() for k in group})
        rows = unit.consent_statements(keys) if keys else []
        customer_of = {k: cid for cid, group in members.items() for k in group}
        statements_of: dict[str, list[StatementRow]] = defaultdict(list)
        for row in rows:
            for cid in {customer_of[k] for k in row["identifiers"] if k in customer_of}:
                statements_of[cid].append(row)
        parents = _parents(changes)
        origins = _origins(changes)
        new_records = {r.key for r in recorded}
        events: list[Change] = []
        summary = []
        for cid in sorted(members):
            statements = from_rows(statements_of.get(cid, []))
            now = stated(statements)
            previous = before.get(cid)
            if previous is None:
                previous = _combined([before.get(p, {}) for p in parents.get(cid, [])])
            said = sorted({f"{s.source}|{s.record_id}" for s in statements} & new_records)
            if now != before.get(cid, {}):
                summary.append(
                    {
                        "id": cid,
                        "granted": sorted(p for p, g in now.items() if g),
                        "withdrawn": sorted(p for p, g in now.items() if not g),
                    }
                )
            changed = now != previous or any(before.get(p, {}) != now for p in parents[cid])
            if not changed and not said:
                continue
            deciding = latest(statements)
            basis = "; ".join(
                f"{p}: {s.source}|{s.record_id} at {s.at.isoformat()}"
                for p, s in sorted(deciding.items())
            )
            cause = (
                f"statement(s) recorded by {', '.join(said)}"
                if said
                else _cause(origins.get(cid), [cid, *parents.get(cid, [])], before)
            )
            events.append(
                Change(
                    type=ChangeType.CONSENT,
                    customer_id=cid,
                    before=sorted(set(parents.get(cid, []))),
                    after=[cid],
                    reason=f"consent {cause}: now {describe(now)} (was {describe(previous)})"
                    + (f"; latest statements {basis}" if basis else ""),
                    trigger_record=said[0] if said else None,
                )
            )
        if summary:
            unit.set_consent_state(summary)
        return events


def _parents(changes: Sequence[Change]) -> dict[str, list[str]]:
    """customer id -> the customers it came from in this step: the others merged into it,
    or the customer it was split from (the part keeping the old id too)."""
    parents: dict[str, list[str]] = defaultdict(list)
    for change in changes:
        if change.type == ChangeType.MERGED:
            parents[change.customer_id] += [c for c in change.before if c != change.customer_id]
        elif change.type == ChangeType.SPLIT:
            for part in change.after:
                parents[part].append(change.customer_id)
    return parents


def _origins(changes: Sequence[Change]) -> dict[str, str]:
    """customer id -> ``merge of C-a, C-b`` / ``split of C-a into C-a, C-c``."""
    origins: dict[str, str] = {}
    for change in changes:
        if change.type == ChangeType.MERGED:
            origins[change.customer_id] = f"merge of {', '.join(change.before)}"
        elif change.type == ChangeType.SPLIT:
            for part in change.after:
                origins[part] = f"split of {change.customer_id} into {', '.join(change.after)}"
    return origins


def _combined(states: Sequence[Mapping[str, bool]]) -> dict[str, bool]:
    """What several customers' states were together (a withdrawal in any counts)."""
    combined: dict[str, bool] = {}
    for state in states:
        for purpose, granted in state.items():
            combined[purpose] = combined.get(purpose, True) and granted
    return combined


def _cause(
    origin: str | None, parents: Sequence[str], before: Mapping[str, Mapping[str, bool]]
) -> str:
    if origin is None:
        return "re-derived after its records changed"
    olds = ", ".join(f"{p} {describe(before.get(p, {}))}" for p in sorted(set(parents)))
    return f"re-derived after the {origin} (before: {olds})"
