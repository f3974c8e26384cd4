"""What the engine needs from storage, as a Protocol (the store implements it on Neo4j).

Every method runs inside one write transaction (a "unit of work"), so a batch's evidence,
re-evaluation and history commit together or not at all, and a retried transaction
starts again from a clean slate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol


class ResolutionUnit(Protocol):
    """Reads and writes of one resolution transaction."""

    def fetch_records(self, keys: Sequence[str]) -> dict[str, tuple[str, list[str]]]:
        """key -> (content_hash, identifier keys) for the records that exist."""
        ...

    def delete_observations(self, record_keys: Sequence[str]) -> None: ...

    def upsert_records(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def upsert_identifiers(self, rows: Sequence[dict[str, Any]]) -> None: ...

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

    def common_neighbours(self, pairs: Sequence[tuple[str, str]]) -> set[str]: ...

    def degrees(self, keys: Sequence[str]) -> dict[str, tuple[str, int, bool]]:
        """key -> (kind, degree, shared now)."""
        ...

    def neighbourhoods(
        self, keys: Sequence[str], hub_degree: int
    ) -> dict[str, dict[str, tuple[bool, list[str]]]]:
        """key -> {neighbour: (is_hub, the neighbour's neighbours)}."""
        ...

    def set_shared(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def delete_identifiers(self, keys: Sequence[str]) -> None: ...

    def customer_members(self, keys: Sequence[str]) -> dict[str, tuple[datetime, set[str]]]:
        """customer_id -> (created_at, member keys) for the customers of ``keys``."""
        ...

    def lock_customers(self, ids: Sequence[str]) -> None: ...

    def expand(
        self, keys: Sequence[str], threshold: float
    ) -> list[tuple[str, bool, str | None, list[tuple[str, float]]]]:
        """(key, shared, customer_id, [(neighbour, p)]) over joinable links."""
        ...

    def clear_membership(self, keys: Sequence[str]) -> None: ...

    def upsert_customers(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def assign_members(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def retire_customers(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def create_events(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def customers_of(self, keys: Sequence[str]) -> dict[str, tuple[str | None, float | None]]: ...
