"""Consent events after a re-evaluation (logic only: a fake transaction holds the rows)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from app.engine.ports import CurrentMembers, StatementRow
from app.privacy.consent.history import ConsentHistory
from graph_models.consent import ConsentStatement
from graph_models.customers import Change, ChangeType
from graph_models.identifiers import Identifier
from graph_models.records import NormalisedRecord


class FakeUnit:
    def __init__(self, rows: list[StatementRow], state: dict[str, dict[str, bool]]) -> None:
        self.rows = rows
        self.state = state
        self.written: list[dict[str, Any]] = []

    def consent_statements(self, keys: Sequence[str]) -> list[StatementRow]:
        return [r for r in self.rows if set(r["identifiers"]) & set(keys)]

    def consent_state(self, ids: Sequence[str]) -> dict[str, dict[str, bool]]:
        return {i: self.state[i] for i in ids if i in self.state}

    def set_consent_state(self, rows: Sequence[dict[str, Any]]) -> None:
        self.written += rows

    def customer_members_of(self, customer_id: str) -> CurrentMembers | None:
        return None


def row(key: str, identifier: str, granted: bool, at: str) -> StatementRow:
    source, record_id = key.split("|")
    return StatementRow(
        key=key,
        source=source,
        record_id=record_id,
        ingested_at=None,
        identifiers=[identifier],
        purposes=["marketing"],
        granted=[granted],
        at=[at],
    )


def test_a_merge_that_keeps_a_withdrawal_is_an_event_of_the_merged_away_view() -> None:
    unit = FakeUnit(
        [
            row("crm|A", "email:a@x.com", False, "2026-11-01T10:05:00+00:00"),
            row("web|B", "email:b@x.com", True, "2026-11-01T10:00:00+00:00"),
        ],
        {"C-a": {"marketing": False}, "C-b": {"marketing": True}},
    )
    merge = Change(
        type=ChangeType.MERGED, customer_id="C-a", before=["C-a", "C-b"], after=["C-a"], reason="x"
    )
    events = ConsentHistory().after_assignment(
        unit, ["C-a", "C-b"], {"C-a": ["email:a@x.com", "email:b@x.com"]}, [merge], []
    )
    (event,) = events
    assert event.type == ChangeType.CONSENT and event.before == ["C-b"]
    assert "merge of C-a, C-b" in event.reason and "now marketing withdrawn" in event.reason
    assert "a@x.com" not in event.reason
    assert unit.written == []  # C-a's summary is unchanged


def test_a_recorded_statement_is_an_event_and_updates_the_summary() -> None:
    unit = FakeUnit([row("consent|u-1", "email:a@x.com", False, "2026-11-02T00:00:00+00:00")], {})
    recorded = NormalisedRecord(
        source="consent",
        record_id="u-1",
        observed_at=datetime(2026, 11, 2, tzinfo=UTC),
        identifiers=(Identifier(kind="email", value="a@x.com"),),
        attributes={},
        content_hash="h",
        consent=(ConsentStatement(purpose="marketing", granted=False),),
    )
    (event,) = ConsentHistory().after_assignment(
        unit, ["C-a"], {"C-a": ["email:a@x.com"]}, [], [recorded]
    )
    assert event.trigger_record == "consent|u-1"
    assert "recorded by consent|u-1" in event.reason
    assert unit.written == [{"id": "C-a", "granted": [], "withdrawn": ["marketing"]}]


def test_nothing_is_read_twice_without_statements() -> None:
    unit = FakeUnit([], {})
    assert (
        ConsentHistory().after_assignment(unit, ["C-a"], {"C-a": ["email:a@x.com"]}, [], []) == []
    )
    assert unit.written == []
