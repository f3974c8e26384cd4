"""Consent in a bulk load: what one live batch of all the records derives from statements.

Records keep their statements as the live path stores them (the parallel lists of
:func:`~app.engine.resolution.evidence.record_properties`). What the batch then derives,
a ``consent`` history event for every customer with a record carrying statements and the
customer's derived consent (``consent_granted`` / ``consent_withdrawn``, what later
batches compare with), comes from the live path's own
:class:`~app.privacy.consent.history.ConsentHistory`, asked over :class:`BulkStatements`,
an in-memory stand-in for the store's reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.engine.ports import CurrentMembers, StatementRow
from app.privacy.consent.history import ConsentHistory
from graph_models.customers import Change
from graph_models.records import NormalisedRecord


@dataclass(frozen=True)
class DerivedConsent:
    """A customer's consent as last derived: the purposes granted and withdrawn."""

    granted: list[str]
    withdrawn: list[str]


@dataclass
class BulkConsent:
    """The consent events (in the order the live batch writes them) and the derived
    consent per customer id (customers with a statement only)."""

    events: list[Change] = field(default_factory=list)
    derived: dict[str, DerivedConsent] = field(default_factory=dict)


class BulkStatements:
    """What :class:`ConsentHistory` reads from the store, answered from the records.

    An empty graph holds no derived consent before the batch, so :meth:`consent_state`
    is empty; :meth:`set_consent_state` keeps what the history writes.
    """

    def __init__(self, records: Iterable[NormalisedRecord]) -> None:
        self.records = sorted((r for r in records if r.consent), key=lambda r: r.key)
        self.derived: dict[str, DerivedConsent] = {}

    def identifiers(self) -> set[str]:
        """The identifiers some record with statements observed."""
        return {i.key for r in self.records for i in r.identifiers}

    def consent_statements(self, keys: Sequence[str]) -> list[StatementRow]:
        """``consent_statements.cypher``: the records observing any of ``keys`` that
        carry statements, by key (``ingested_at`` is stamped by the import, and nothing
        derived from it is stored)."""
        wanted = set(keys)
        rows: list[StatementRow] = []
        for record in self.records:
            observed = sorted({i.key for i in record.identifiers} & wanted)
            if observed:
                rows.append(
                    StatementRow(
                        key=record.key,
                        source=record.source,
                        record_id=record.record_id,
                        ingested_at=None,
                        identifiers=observed,
                        purposes=[s.purpose for s in record.consent],
                        granted=[s.granted for s in record.consent],
                        at=[s.at.isoformat() for s in record.consent if s.at],
                    )
                )
        return rows

    def consent_state(self, ids: Sequence[str]) -> dict[str, dict[str, bool]]:
        return {}

    def set_consent_state(self, rows: Sequence[dict[str, Any]]) -> None:
        for row in rows:
            self.derived[row["id"]] = DerivedConsent(row["granted"], row["withdrawn"])

    def customer_members_of(self, customer_id: str) -> CurrentMembers | None:
        raise NotImplementedError("the consent history of a batch reads no customer by id")


def bulk_consent(
    records: Sequence[NormalisedRecord], members: dict[str, frozenset[str]]
) -> BulkConsent:
    """The consent history and derived consent one live batch of ``records`` writes.

    Args:
        records: every record of the load.
        members: customer id -> its identifiers (all customers are new).
    """
    statements = BulkStatements(records)
    if not statements.records:
        return BulkConsent()
    # A customer none of whose identifiers a record with statements observed derives
    # nothing and gets no event: the history is asked about the others only.
    stated = statements.identifiers()
    asked = {cid: sorted(group) for cid, group in members.items() if not group.isdisjoint(stated)}
    # On an empty graph the batch only creates customers, and the history looks at
    # merges and splits alone, so it is given no changes.
    events = ConsentHistory().after_assignment(statements, [], asked, [], statements.records)
    return BulkConsent(events=events, derived=statements.derived)
