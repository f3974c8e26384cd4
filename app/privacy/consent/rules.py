"""How a customer's consent per purpose follows from its records' statements.

The rule, for each purpose:

- Every statement of every record of the customer *as it is now* counts (a record counts
  when it observed one of the customer's identifiers), wherever it came from.
- The **latest statement wins**, "latest" meaning the time the person made it (``at``,
  else the record's ``observed_at``), not when idgraph received it: a back-filled old
  grant from a CRM export does not override a newer unsubscribe.
- At the same instant a withdrawal wins over a grant.
- No statement: the configured default (``IDGRAPH_CONSENT_GRANTED_BY_DEFAULT``; by
  default no purpose is granted without a statement).

Merges pool the statements of the merged customers, so a withdrawal stays unless a grant
made *after* it exists in the merged customer: a merge never revives an older grant.
Splits re-derive each part from its own records: a part keeps a withdrawal only if one of
its records made it. Because nothing is stored per customer, a customer's consent is
always what its records say now.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from app.engine.ports import StatementRow
from graph_models.consent import ConsentBasis, PurposeConsent, StoredStatement


def _rank(statement: StoredStatement) -> tuple[object, ...]:
    # later wins; at one instant a withdrawal (granted False sorts first) wins; then a
    # fixed order so the deciding statement does not depend on read order
    return (statement.at, not statement.granted, statement.source, statement.record_id)


def latest(statements: Iterable[StoredStatement]) -> dict[str, StoredStatement]:
    """purpose -> the statement that decides it (only purposes with a statement)."""
    deciding: dict[str, StoredStatement] = {}
    for statement in statements:
        current = deciding.get(statement.purpose)
        if current is None or _rank(statement) > _rank(current):
            deciding[statement.purpose] = statement
    return deciding


def derive(
    statements: Iterable[StoredStatement],
    purposes: Iterable[str],
    granted_by_default: Collection[str] = (),
) -> list[PurposeConsent]:
    """The consent for each of ``purposes``, in their order."""
    deciding = latest(statements)
    result = []
    for purpose in purposes:
        statement = deciding.get(purpose)
        if statement is None:
            result.append(
                PurposeConsent(
                    purpose=purpose,
                    granted=purpose in granted_by_default,
                    basis=ConsentBasis.DEFAULT,
                )
            )
        else:
            result.append(
                PurposeConsent(
                    purpose=purpose,
                    granted=statement.granted,
                    basis=ConsentBasis.STATEMENT,
                    statement=statement,
                )
            )
    return result


def stated(statements: Iterable[StoredStatement]) -> dict[str, bool]:
    """purpose -> granted, for the purposes some statement decides (what history compares)."""
    return {purpose: s.granted for purpose, s in latest(statements).items()}


def describe(state: Mapping[str, bool]) -> str:
    """``marketing withdrawn, analytics granted`` (``no statement`` when empty)."""
    if not state:
        return "no statement"
    return ", ".join(f"{p} {'granted' if g else 'withdrawn'}" for p, g in sorted(state.items()))


def from_rows(rows: Iterable[StatementRow]) -> list[StoredStatement]:
    """The stored statements of ``consent_statements`` rows, latest first."""
    statements = [
        StoredStatement(
            purpose=purpose,
            granted=granted,
            at=datetime.fromisoformat(at),
            source=row["source"],
            record_id=row["record_id"],
            identifiers=sorted(row["identifiers"]),
            ingested_at=datetime.fromisoformat(row["ingested_at"]) if row["ingested_at"] else None,
        )
        for row in rows
        for purpose, granted, at in zip(row["purposes"], row["granted"], row["at"], strict=True)
    ]
    return sorted(statements, key=_rank, reverse=True)
