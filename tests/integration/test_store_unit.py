"""The storage unit's statements in a real transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from neo4j.exceptions import ConstraintError

from app.store.graph_store import GraphStore


def record_row(record_id: str, content_hash: str, observed_at: str) -> dict[str, Any]:
    """An ``upsert_records`` row of a bare probe record."""
    return {
        "key": f"probe:{record_id}",
        "props": {
            "source": "probe",
            "record_id": record_id,
            "observed_at": observed_at,
            "content_hash": content_hash,
        },
    }


def test_a_write_sent_without_waiting_that_fails_fails_the_whole_transaction(
    store: GraphStore,
) -> None:
    """Writes whose answer is not read are sent without waiting for it: their error
    surfaces at the next statement or the commit, and nothing of the batch is stored."""
    now = datetime.now(UTC).isoformat()
    event = {
        "event_id": "deferred-probe",
        "type": "create",
        "customer_id": "c-deferred",
        "before": [],
        "after": [],
        "reason": None,
        "trigger_record": None,
    }
    record = record_row("deferred-1", "h", now)
    reached_end = False

    def work(unit: Any) -> None:
        nonlocal reached_end
        unit.upsert_records([record])
        unit.create_events([event], now)
        unit.create_events([event], now)  # the same event id again: the constraint fails
        reached_end = True  # the failure was not raised by the call that caused it

    with pytest.raises(ConstraintError):
        store.in_write_transaction(work)
    assert reached_end
    stored = store.driver.execute_query(
        "MATCH (r:Record {key: $key}) RETURN count(r) AS n",
        key=record["key"],
        database_=store.database,
    ).records[0]["n"]
    events = store.driver.execute_query(
        "MATCH (e:CustomerEvent {event_id: $id}) RETURN count(e) AS n",
        id=event["event_id"],
        database_=store.database,
    ).records[0]["n"]
    assert (stored, events) == (0, 0)


def test_writes_sent_without_waiting_are_committed_with_the_reads_after_them(
    store: GraphStore,
) -> None:
    """A read after a write sent without waiting sees the write (Neo4j runs a
    transaction's statements in order), and the commit keeps it."""
    now = datetime.now(UTC).isoformat()
    rows = [record_row(f"ordered-{i}", f"h{i}", now) for i in range(3)]

    def work(unit: Any) -> dict[str, Any]:
        unit.upsert_records(rows)
        return unit.fetch_records([r["key"] for r in rows])

    seen = store.in_write_transaction(work)
    assert sorted(seen) == sorted(r["key"] for r in rows)
    assert [seen[r["key"]].content_hash for r in rows] == ["h0", "h1", "h2"]
