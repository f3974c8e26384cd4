"""What the engine and the feature services need from storage, as Protocols (the store
implements them on Neo4j, :mod:`app.store`).

:class:`ResolutionUnit` is one transaction (a "unit of work"): a batch's evidence,
re-evaluation and history commit together or not at all, and a retried transaction
starts again from a clean slate. The store-level Protocols below it run their own
transactions, one per area: the transactions themselves, lookups, customer reads, the
override store, and the whole-graph scan of ``recluster``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class ResolutionUnit(Protocol):
    """Reads and writes of one resolution transaction."""

    def fetch_records(self, keys: Sequence[str]) -> dict[str, tuple[str, list[str]]]:
        """key -> (content_hash, identifier keys) for the records that exist."""
        ...

    def delete_observations(self, record_keys: Sequence[str]) -> None: ...

    def upsert_records(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def upsert_identifiers(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Create or update identifiers; return the keys that did not exist before."""
        ...

    def create_observations(self, rows: Sequence[dict[str, str]]) -> None: ...

    def refresh_identifier_stats(self, keys: Sequence[str]) -> dict[str, int]:
        """key -> number of records still observing it."""
        ...

    def fetch_links(
        self, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[list[str], datetime, datetime]]:
        """(a, b) -> (record keys, first seen, last seen) for the pairs that exist."""
        ...

    def record_times(self, keys: Sequence[str]) -> dict[str, datetime]: ...

    def upsert_links(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def delete_links(self, pairs: Sequence[tuple[str, str]]) -> None: ...

    def neighbour_kinds(
        self, keys: Sequence[str], min_degree: int
    ) -> dict[str, tuple[str, bool, dict[str, int]]]:
        """key -> (kind, shared now, {neighbour kind: distinct neighbours of that kind}),
        for identifiers that are shared now or have more than ``min_degree`` links."""
        ...

    def neighbours(self, keys: Sequence[str]) -> set[str]:
        """Every identifier linked to one of ``keys``."""
        ...

    def set_shared(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def delete_identifiers(self, keys: Sequence[str]) -> None: ...

    def customer_members(self, keys: Sequence[str]) -> dict[str, tuple[datetime, set[str]]]:
        """customer_id -> (created_at, member keys) for the customers of ``keys``."""
        ...

    def lock_customers(self, ids: Sequence[str]) -> None: ...

    def lock_customers_of(self, keys: Sequence[str]) -> None:
        """Lock the customers of ``keys`` in id order (before the batch writes anything)."""
        ...

    def expand(
        self, keys: Sequence[str], threshold: float
    ) -> list[tuple[str, bool, str | None, float | None, list[tuple[str, float]]]]:
        """(key, shared, customer_id, membership confidence, [(neighbour, p)])."""
        ...

    def expand_customers(
        self, ids: Sequence[str], threshold: float
    ) -> list[tuple[str, datetime, list[tuple[str, bool, float | None, list[tuple[str, float]]]]]]:
        """Lock customers, then return (id, created_at, members with their joinable links)."""
        ...

    def any_overrides(self) -> bool: ...

    def overrides_of(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """Overrides concerning ``keys``: override_id, a, b, decision, reason, actor."""
        ...

    def create_override(self, row: dict[str, Any], now: str) -> None: ...

    def delete_override(self, override_id: str) -> dict[str, Any] | None: ...

    def override_between(self, a: str, b: str) -> dict[str, Any] | None: ...

    def erasure_secret(self, candidate: str) -> str:
        """The keyed-hash key kept in the graph (``candidate`` if none yet)."""
        ...

    def records_observing(self, keys: Sequence[str]) -> list[dict[str, Any]]: ...

    def delete_overrides_of(self, keys: Sequence[str]) -> None: ...

    def delete_empty_records(self, keys: Sequence[str]) -> None: ...

    def scrub_text(self, pairs: Sequence[tuple[str, str]]) -> None: ...

    def suppress(self, hashes: Sequence[str], now: str) -> None: ...

    def any_suppressed(self) -> bool: ...

    def suppressed_among(self, hashes: Sequence[str]) -> set[str]: ...

    def customer_members_of(self, customer_id: str) -> tuple[str, list[str]] | None: ...

    def clear_membership(self, keys: Sequence[str], now: str) -> None:
        """Drop current memberships, keeping them as history until ``now``."""
        ...

    def update_membership(self, rows: Sequence[dict[str, Any]]) -> None:
        """Set the membership confidence of identifiers that stay in their customer."""
        ...

    def upsert_customers(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def assign_members(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def retire_customers(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def create_events(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def customers_of(self, keys: Sequence[str]) -> dict[str, tuple[str | None, float | None]]: ...

    # ------------------------------------------------------------------ similarity
    def add_block_memberships(self, rows: Sequence[dict[str, str]]) -> list[tuple[str, int]]:
        """Put records into blocks; (block, size after) per row."""
        ...

    def remove_block_memberships(self, keys: Sequence[str]) -> list[tuple[str, int, int]]:
        """Take records out of their blocks; (block, size after, members lost) per block."""
        ...

    def block_members(self, blocks: Sequence[str], max_block: int | None) -> dict[str, list[str]]:
        """block -> member record keys, for blocks of at most ``max_block`` (None: any)."""
        ...

    def match_profiles(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """{key, observed_at, attributes, identifiers} per existing record."""
        ...

    def lock_identifiers(self, keys: Sequence[str]) -> None: ...

    def similar_of(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """SIMILAR links touching the identifiers: a, b, pairs, pair_probabilities,
        comparisons, first_seen, last_seen."""
        ...

    def similar_between(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """SIMILAR links on the given (a, b) pairs, same columns as :meth:`similar_of`."""
        ...

    def upsert_similar(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def delete_similar(self, pairs: Sequence[tuple[str, str]]) -> None: ...

    def active_model(self, known: str | None = None) -> dict[str, Any] | None:
        """The stored match model (version, params JSON, method, fitted_at), if any;
        params is None when the stored version is ``known`` (the caller holds it)."""
        ...

    def store_model(self, version: str, params: str, method: str, now: str, pairs: int) -> None: ...

    def term_frequencies(self) -> list[tuple[str, int]]:
        """``(term block key, records holding the value)`` of every term block."""
        ...

    def record_keys_after(self, after: str, limit: int) -> list[str]:
        """Record keys after ``after`` in key order, at most ``limit``."""
        ...

    def count_records(self) -> int: ...

    def policy_attributes(
        self, keys: Sequence[str], fields: Sequence[str]
    ) -> list[tuple[str, str, str, str]]:
        """``(identifier key, record key, field, value)`` for every record observing one
        of ``keys`` that has the attribute ``field`` (stored as ``attr_<field>``)."""
        ...


class AttributeReader(Protocol):
    """The one read the attribute policies need (a write or a read transaction)."""

    def policy_attributes(
        self, keys: Sequence[str], fields: Sequence[str]
    ) -> list[tuple[str, str, str, str]]: ...


# ---------------------------------------------------------------------- store level
class Transactions(Protocol):
    """Runs a unit of work in one managed transaction (retried on transient errors)."""

    def in_write_transaction(self, work: Callable[[ResolutionUnit], T]) -> T: ...

    def in_read_transaction(self, work: Callable[[ResolutionUnit], T]) -> T: ...


class LookupStore(Protocol):
    """The lookup hot path: one index seek per call."""

    def lookup(self, key: str) -> dict[str, Any] | None: ...

    async def lookup_async(self, key: str) -> dict[str, Any] | None: ...


class CustomerStore(Protocol):
    """Profiles, history, time travel and lineage of customers."""

    def profile(self, customer_id: str) -> dict[str, Any] | None: ...

    def resolve_customer(self, customer_id: str) -> dict[str, Any] | None: ...

    def history(self, customer_id: str, offset: int, limit: int) -> list[dict[str, Any]]: ...

    def as_of(self, customer_id: str, at: str) -> dict[str, Any] | None: ...

    def lineage(
        self, customer_id: str, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]: ...


class OverrideStore(Transactions, Protocol):
    """Overrides are written in resolution transactions and read one at a time."""

    def get_override(self, override_id: str) -> dict[str, Any] | None: ...


class GraphScan(Transactions, Protocol):
    """The whole graph, page by page (``idgraph recluster``)."""

    def iter_identifiers(self) -> Iterator[dict[str, Any]]: ...

    def links_between(self, after: str, upto: str) -> list[dict[str, Any]]: ...

    def all_overrides(self) -> list[dict[str, Any]]: ...
