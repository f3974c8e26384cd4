"""The audit log's pure logic: outcomes, ids that sort as times, cursors, path targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import typer

from app.audit.commands import outcome_of_exit
from app.audit.http import path_targets
from app.audit.recording import note, pending
from app.audit.service import decode_cursor, encode_cursor, new_audit_id
from app.core.errors import InvalidInputError, NotFoundError
from graph_models.audit import outcome_of_status


def test_outcomes_of_statuses_and_exits() -> None:
    assert [outcome_of_status(s) for s in (200, 201, 403, 404, 409, 418, 422, 500, 503)] == [
        "ok", "ok", "forbidden", "not_found", "conflict", "client_error", "invalid_input",
        "failure", "failure",
    ]  # fmt: skip
    assert outcome_of_exit(None) == ("ok", 0)
    assert outcome_of_exit(typer.Exit(0)) == ("ok", 0)
    assert outcome_of_exit(typer.Exit(2)) == ("failure", 2)
    assert outcome_of_exit(NotFoundError("x")) == ("not_found", 1)
    assert outcome_of_exit(KeyboardInterrupt()) == ("failure", 1)


def test_ids_sort_as_their_times_across_years_and_offsets() -> None:
    moments = [
        datetime(1, 1, 2, tzinfo=UTC),
        datetime(999, 5, 1, tzinfo=UTC),
        datetime(2026, 12, 1, 22, 0, tzinfo=timezone(timedelta(hours=5))),  # 17:00 UTC
        datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 18, 0, 0, 1, tzinfo=UTC),
    ]
    ids = [new_audit_id(m) for m in moments]
    assert sorted(ids) == ids
    assert ids[0].startswith("A-00010102T")


def test_cursors_round_trip_and_refuse_anything_else() -> None:
    audit_id = new_audit_id(datetime.now(UTC))
    assert decode_cursor(encode_cursor(audit_id)) == audit_id
    for bad in ("", "nonsense", encode_cursor("A-x"), "djE6QS0x"):
        with pytest.raises(InvalidInputError) as caught:
            decode_cursor(bad)
        assert caught.value.errors[0].field == ("cursor",)


def test_path_ids_become_targets_unless_they_may_be_values() -> None:
    params = {
        "customer_id": "C-7f3a9c1e2b4d5f60",
        "override_id": "jane@example.com",
        "kind": "email",
        "value": "jane@example.com",
    }
    assert path_targets(params) == ["customer:C-7f3a9c1e2b4d5f60", "override:[withheld]"]


def test_notes_add_up_inside_an_entry_and_are_ignored_outside() -> None:
    note("customer:C-1", records=1)  # no entry open: nothing happens
    with pending() as entry:
        note("record:crm|A-1", records=2)
        note("record:crm|A-2", records=3, changes=1)
    assert entry.targets == ["record:crm|A-1", "record:crm|A-2"]
    assert entry.counts == {"records": 5, "changes": 1}
