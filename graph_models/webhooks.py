"""Webhook subscriptions: where the change feed is pushed, and how delivery is going."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from graph_models.customers import ChangeType

_STATUS_EXAMPLE: dict[str, Any] = {
    "cursor": "djE6NDI",
    "sequence": 42,
    "delivered": 40,
    "attempts": 0,
    "last_success_at": "2026-11-01T12:00:03Z",
    "last_error": None,
    "last_error_at": None,
    "next_attempt_at": None,
    "lag_events": 0,
    "lag_seconds": 0.0,
}
_WEBHOOK_EXAMPLE: dict[str, Any] = {
    "webhook_id": "W-9c2f4e1a7b3d5c60",
    "url": "https://crm.example.com/hooks/idgraph",
    "event_types": ["merged", "split"],
    "created_at": "2026-11-01T12:00:00Z",
    "status": _STATUS_EXAMPLE,
}


class WebhookRequest(BaseModel):
    """A new subscription."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"url": "https://crm.example.com/hooks/idgraph", "event_types": ["merged", "split"]}
            ]
        },
    )

    url: HttpUrl = Field(description="http or https URL that receives a POST per event.")
    event_types: list[ChangeType] = Field(
        default_factory=list,
        max_length=len(ChangeType),
        description="Deliver only these event types; empty: all of them.",
    )
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=256,
        description="Key of the HMAC-SHA256 signature; omitted: one is generated and "
        "returned once, in this call's answer.",
    )
    after: str | None = Field(
        default=None,
        max_length=32,
        description="A change feed cursor to start after (`djE6MA` for the beginning); "
        "omitted: events committed from now on.",
    )


class WebhookStatus(BaseModel):
    """How delivery of a subscription is going."""

    cursor: str = Field(description="Feed cursor of the last event delivered (or skipped).")
    sequence: int = Field(description="Its sequence number.")
    delivered: int = Field(description="Events delivered with a 2xx answer.")
    attempts: int = Field(description="Failed attempts at the next event, since the last 2xx.")
    last_success_at: datetime | None = None
    last_error: str | None = Field(default=None, description="e.g. `HTTP 503`, `ConnectError`")
    last_error_at: datetime | None = None
    next_attempt_at: datetime | None = Field(
        default=None, description="When the back-off after a failure ends."
    )
    lag_events: int = Field(description="Feed events after the cursor (any type).")
    lag_seconds: float = Field(description="Age of the oldest of them; 0 when none.")


class Webhook(BaseModel):
    """A subscription (never its secret) and its delivery status."""

    model_config = ConfigDict(json_schema_extra={"examples": [_WEBHOOK_EXAMPLE]})

    webhook_id: str
    url: str
    event_types: list[str] = Field(description="Empty: every type.")
    created_at: datetime
    status: WebhookStatus


class WebhookCreated(Webhook):
    """The new subscription, with its secret: the only time the secret is shown."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_WEBHOOK_EXAMPLE, "secret": "whsec-…"}]}
    )

    secret: str


class WebhookList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"webhooks": [_WEBHOOK_EXAMPLE]}]})

    webhooks: list[Webhook]
