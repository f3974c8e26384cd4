"""What the existing write routes add to their audit entries: ids and counts, no values."""

from __future__ import annotations

from collections.abc import Sequence

from app.audit.recording import note
from graph_models.customers import Change, ErasureReport, Override, RecordResult
from graph_models.records import record_key


def _changed(changes: Sequence[Change]) -> int:
    return len({change.model_dump_json() for change in changes})


def ingested(results: Sequence[RecordResult]) -> None:
    """A batch: each record's ref and the customers it now belongs to."""
    customers = [f"customer:{r.customer_id}" for r in results if r.customer_id]
    note(
        *(f"record:{record_key(r.source, r.record_id)}" for r in results),
        *customers,
        records=len(results),
        changes=_changed([c for r in results for c in r.changes]),
    )


def erased(report: ErasureReport) -> None:
    """An erasure: the subject's keyed hash (as in its history event) and the customers."""
    note(
        f"subject:{report.subject[:16]}",
        *(f"customer:{c}" for c in report.customers_affected),
        identifiers_erased=report.identifiers_erased,
        records_scrubbed=report.records_scrubbed,
        records_deleted=report.records_deleted,
    )


def overridden(override: Override) -> None:
    """An override made or undone: its id and the two customers (not ``a`` and ``b``: they
    are identifiers, i.e. personal values)."""
    note(
        f"override:{override.override_id}",
        *(f"customer:{c}" for c in (override.customer_a, override.customer_b) if c),
        changes=_changed(override.changes),
    )
