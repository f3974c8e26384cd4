"""Path and query parameters that several routes share, with their bounds in the schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from graph_models.identifiers import MAX_KIND_LENGTH, MAX_REF_LENGTH, MAX_VALUE_LENGTH

#: Customer and override ids are 18 characters (``C-`` or ``O-`` and 16 hex digits); a
#: longer one cannot exist, and is refused with 422 before Neo4j is asked.
MAX_ID_LENGTH = 64

CustomerId = Annotated[
    str, Path(min_length=1, max_length=MAX_ID_LENGTH, examples=["C-7f3a9c1e2b4d5f60"])
]
OverrideId = Annotated[
    str, Path(min_length=1, max_length=MAX_ID_LENGTH, examples=["O-1a2b3c4d5e6f7a8b"])
]
KindPath = Annotated[str, Path(min_length=1, max_length=MAX_KIND_LENGTH, examples=["email"])]
ValuePath = Annotated[
    str, Path(min_length=1, max_length=MAX_VALUE_LENGTH, examples=["jane@example.com"])
]


def identifier_ref(example: str) -> object:
    """A ``kind:value`` query parameter."""
    return Query(min_length=3, max_length=MAX_REF_LENGTH, examples=[example])


def _in_utc(moment: datetime | None) -> datetime | None:
    """A time in UTC (a time without an offset is taken as UTC). Neo4j takes offsets up to
    ±18:00 and Python up to ±23:59: converting first means no offset can fail the query."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is in year 0 in UTC
        raise ValueError("the time in UTC is outside years 1 to 9999") from None


AsOf = Annotated[
    datetime | None,
    Query(
        description="Time travel: the customer as it stood then (ISO 8601; no offset is UTC).",
        examples=["2026-11-01T12:00:00Z"],
    ),
    AfterValidator(_in_utc),
]
