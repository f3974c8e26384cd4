"""The change feed: history events in commit order, and the cursor a client resumes from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_EXAMPLE_EVENT: dict[str, Any] = {
    "cursor": "djE6NDI",
    "sequence": 42,
    "event_id": "E-5b1e0c9d7a2f4e31",
    "at": "2026-11-01T12:00:00Z",
    "type": "merged",
    "customer_id": "C-3f9a2b7c1d4e5f60",
    "before": ["C-3f9a2b7c1d4e5f60", "C-00aa11bb22cc33dd"],
    "after": ["C-3f9a2b7c1d4e5f60"],
    "reason": "cookie:ck-81 is now linked to email:jane@example.com (match probability 0.8500)",
    "trigger_record": "web|w-9",
}


class FeedEvent(BaseModel):
    """One customer change, as the history stores it, with its place in the feed."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_EVENT]})

    cursor: str = Field(description="Pass as `after` to resume after this event.")
    sequence: int = Field(description="Position in the feed: strictly increasing, no gaps.")
    event_id: str
    at: datetime = Field(description="When the batch that made the change started.")
    type: str = Field(
        description="created, merged, split, retired, override, override_removed, erased"
    )
    customer_id: str = Field(description="The surviving, new or affected customer id.")
    before: list[str] = Field(default_factory=list, description="Customer ids before.")
    after: list[str] = Field(default_factory=list, description="Customer ids after.")
    reason: str
    trigger_record: str | None = Field(default=None, description="source|record_id")


class ChangePage(BaseModel):
    """A page of the change feed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"changes": [_EXAMPLE_EVENT], "next": "djE6NDI", "has_more": False}]
        }
    )

    changes: list[FeedEvent]
    next: str = Field(
        description="The cursor to ask with next (the last event's, or `after` itself when "
        "the page is empty): keep it and resume from it."
    )
    has_more: bool = Field(description="More events may follow at once; ask again without waiting.")
