"""Data-subject access (GDPR art. 15, CCPA "right to know"): everything idgraph stores
about one person, in one document they can read.

The document has one section per kind of data, each read by its own query
(``cypher/queries/export_<name>.cypher``, all run in one read transaction). Another kind
of data is another :class:`ExportSection` in :data:`SECTIONS` and its query; the queries
all take ``$customer_ids``, ``$identifiers``, ``$records`` and ``$past_customer_ids``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.core.errors import NotFoundError
from app.engine.ports import ExportStore
from graph_models.export import CustomerExport

Row = dict[str, Any]


def _as_is(row: Row) -> Row:
    return row


def _record(row: Row) -> Row:
    """Attributes (stored as ``attr_<name>``) under ``attributes``, by their names."""
    shaped = {k: v for k, v in row.items() if not k.startswith("attr_")}
    shaped["attributes"] = {k[5:]: v for k, v in sorted(row.items()) if k.startswith("attr_")}
    return shaped


@dataclass(frozen=True)
class ExportSection:
    """One section of the export.

    Attributes:
        name: its key in the document; its query is ``queries/export_<name>.cypher``.
        about: what it holds, in words, for the person reading it.
        shape: turns a stored row into the row the document shows.
    """

    name: str
    about: str
    shape: Callable[[Row], Row] = _as_is


SECTIONS: tuple[ExportSection, ...] = (
    ExportSection(
        "customers",
        "the customer record idgraph keeps for you, and any ids merged into it",
    ),
    ExportSection(
        "records",
        "every source record about you, as received: its source, id, time and attributes, "
        "the identifiers it carried and the matching keys it is filed under",
        _record,
    ),
    ExportSection(
        "identifiers",
        "your identifiers (emails, phones, accounts, cookies, devices) with when and where "
        "they were seen, and which customer they belonged to when",
    ),
    ExportSection(
        "links",
        "the evidence joining your identifiers: seen together in a record (LINKED) or "
        "records that look alike (SIMILAR), with how strong it is",
    ),
    ExportSection(
        "history",
        "every change to your customer: created, merged, split, overrides, erasures, retention",
    ),
    ExportSection(
        "consent",
        "what you agreed to or withdrew, per purpose (marketing, analytics...), which record "
        "and source said it and when; the latest statement per purpose decides",
    ),
    ExportSection(
        "overrides",
        "decisions analysts made about your identifiers (same person / different people)",
    ),
)


class ExportService:
    """Builds the export of one customer.

    Args:
        store: the export's reads (one read transaction).
        sections: the sections, in document order.
    """

    def __init__(self, store: ExportStore, sections: Sequence[ExportSection] = SECTIONS) -> None:
        self.store = store
        self.sections = tuple(sections)

    def export(self, customer_id: str) -> CustomerExport:
        """Everything stored about the customer (a merged-away id exports its survivor).

        Raises:
            NotFoundError: no such customer id.
        """
        found = self.store.export(customer_id, [s.name for s in self.sections])
        if found is None:
            raise NotFoundError(f"no customer {customer_id}")
        subject, rows = found
        return CustomerExport(
            customer_id=customer_id,
            current_id=subject.current_id,
            status=subject.status,
            exported_at=datetime.now(UTC),
            about={s.name: s.about for s in self.sections},
            sections={s.name: [s.shape(r) for r in rows[s.name]] for s in self.sections},
        )
