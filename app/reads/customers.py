"""Customers as they stand and as they stood: profile, time travel, history, lineage."""

from __future__ import annotations

from datetime import datetime

from app.core.errors import NotFoundError
from app.engine.ports import CurrentCustomer, CustomerStore
from app.reads.survivorship import golden_attributes
from graph_models.customers import (
    CustomerHistory,
    CustomerLineage,
    CustomerProfile,
    HistoryEvent,
    LineageLink,
    LineageRecord,
    LineageSource,
    Membership,
    record_pairs_of,
)


class CustomerReads:
    """Profiles, history, time travel and lineage of customers (read-only).

    Args:
        store: the customer reads, each in its own read transaction.
    """

    def __init__(self, store: CustomerStore) -> None:
        self.store = store

    def profile(self, customer_id: str) -> CustomerProfile:
        """A customer's profile; an id merged away answers with the survivor's profile."""
        row = self.store.profile(customer_id)
        if row is None:
            raise NotFoundError(f"no customer {customer_id}")
        customer = row["customer"]
        records = row["records"]
        attributes, attribute_sources = golden_attributes(records)
        identifiers = [
            Membership(
                kind=i["kind"],
                value=i["value"],
                membership_confidence=i["confidence"],
                first_seen=i["first_seen"],
                last_seen=i["last_seen"],
                sources=sorted(i["sources"] or []),
            )
            for i in sorted(row["identifiers"], key=lambda i: (i["kind"], i["value"]))
        ]
        identifiers += [
            Membership(
                kind=s["kind"],
                value=s["value"],
                membership_confidence=0.0,
                shared=True,
                shared_reason=s["shared_reason"],
            )
            for s in sorted(row["shared"], key=lambda s: (s["kind"], s["value"]))
        ]
        merged = row["requested_status"] == "merged"
        return CustomerProfile(
            customer_id=customer_id,
            status="merged" if merged else customer.get("status", "active"),
            merged_into=customer["customer_id"] if merged else None,
            confidence=customer.get("confidence"),
            identifiers=identifiers,
            attributes=attributes,
            attribute_sources=attribute_sources,
            sources=sorted({r["source"] for r in records}),
            record_count=len(records),
            created_at=customer.get("created_at"),
            updated_at=customer.get("updated_at"),
        )

    def _current(self, customer_id: str) -> CurrentCustomer:
        row = self.store.resolve_customer(customer_id)
        if row is None:
            raise NotFoundError(f"no customer {customer_id}")
        return row

    def history(self, customer_id: str, offset: int = 0, limit: int = 100) -> CustomerHistory:
        """Events about the customer and every id merged into it, oldest first."""
        current = self._current(customer_id)
        rows = self.store.history(customer_id, offset, limit)
        return CustomerHistory(
            customer_id=customer_id,
            current_id=current["current_id"],
            current_status=current["current_status"],
            events=[HistoryEvent(**{k: r[k] for k in HistoryEvent.model_fields}) for r in rows],
            offset=offset,
            limit=limit,
        )

    def as_of(self, customer_id: str, at: datetime) -> CustomerProfile:
        """The customer as it stood at ``at``, from the stored membership history.

        Identifiers are those that belonged to it then (membership confidence as then),
        attributes come from the records of those identifiers ingested by then; the
        customer confidence of that time is not kept, so it is None.
        """
        self._current(customer_id)
        row = self.store.as_of(customer_id, at.isoformat())
        if row is None or not row["exists_then"]:
            raise NotFoundError(f"customer {customer_id} did not exist at {at.isoformat()}")
        attributes, attribute_sources = golden_attributes(row["records"])
        return CustomerProfile(
            customer_id=customer_id,
            status="merged" if row["merged_into"] else "active",
            merged_into=row["merged_into"],
            confidence=None,
            identifiers=[
                Membership(
                    kind=i["kind"],
                    value=i["value"],
                    membership_confidence=i["confidence"] or 0.0,
                    first_seen=i["first_seen"],
                    sources=sorted(i["sources"] or []),
                )
                for i in sorted(row["identifiers"], key=lambda i: (i["kind"], i["value"]))
            ],
            attributes=attributes,
            attribute_sources=attribute_sources,
            sources=sorted({r["source"] for r in row["records"]}),
            record_count=len(row["records"]),
            created_at=row["customer"]["created_at"],
        )

    def lineage(self, customer_id: str, offset: int = 0, limit: int = 100) -> CustomerLineage:
        """Records that built the customer (by source, in time order) and its links, paged."""
        current = self._current(customer_id)
        active = current["current_id"]
        records, links = self.store.lineage(active, offset, limit)
        by_source: dict[str, list[LineageRecord]] = {}
        for r in records:
            by_source.setdefault(r["source"], []).append(
                LineageRecord(**{k: r[k] for k in LineageRecord.model_fields})
            )
        return CustomerLineage(
            customer_id=active,
            sources=[LineageSource(source=s, records=rs) for s, rs in by_source.items()],
            links=[
                LineageLink(
                    **{k: x[k] for k in LineageLink.model_fields if k != "record_pairs"},
                    record_pairs=record_pairs_of(
                        x.get("pairs"), x.get("pair_probabilities"), x.get("comparisons")
                    ),
                )
                for x in links
            ],
            total_records=records[0]["total"] if records else 0,
            total_links=links[0]["total"] if links else 0,
            offset=offset,
            limit=limit,
        )
