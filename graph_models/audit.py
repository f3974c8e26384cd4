"""The audit log: who did what to the graph, when, and how it ended.

An entry names its targets by id only (``customer:C-…``, ``record:crm|A-1001``,
``override:O-…``, ``webhook:W-…``, ``subject:<keyed hash>``) and counts what it touched;
it never holds a personal value (an email, a phone, a name) nor an API key.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: A 4xx status as the outcome it stands for; any other 4xx is ``client_error``.
ERROR_OUTCOMES: dict[int, str] = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
    429: "rate_limited",
}
OK = "ok"
FAILURE = "failure"
CLIENT_ERROR = "client_error"
OUTCOMES: tuple[str, ...] = (OK, *ERROR_OUTCOMES.values(), CLIENT_ERROR, FAILURE)


def outcome_of_status(status: int) -> str:
    """``ok`` for 1xx-3xx, the error type of a 4xx, ``failure`` for a 5xx."""
    if status < 400:
        return OK
    if status < 500:
        return ERROR_OUTCOMES.get(status, CLIENT_ERROR)
    return FAILURE


class Channel(StrEnum):
    """How the action reached idgraph."""

    API = "api"
    CLI = "cli"


_EXAMPLE: dict[str, Any] = {
    "audit_id": "A-20261201T214200123456-1a2b3c4d",
    "at": "2026-12-01T21:42:00.123456Z",
    "channel": "api",
    "actor": "admin key sha256=1a2b3c4d",
    "role": "admin",
    "action": "erase_customer",
    "route": "DELETE /v1/customers/{customer_id}",
    "targets": ["customer:C-7f3a9c1e2b4d5f60", "subject:9f86d081884c7d65"],
    "counts": {"identifiers_erased": 2, "records_deleted": 1},
    "outcome": "ok",
    "status": 200,
    "request_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    "duration_ms": 41.5,
}


class AuditEntry(BaseModel):
    """One audited action."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    audit_id: str
    at: datetime
    channel: Channel
    actor: str = Field(
        description="API: the key's role and short name (`admin key sha256=1a2b3c4d`); "
        "CLI: `cli:<OS user>`. Never the key."
    )
    role: str | None = Field(default=None, description="The API key's role; null for the CLI.")
    action: str = Field(description="The route's name (API) or the command (CLI).")
    route: str | None = Field(default=None, description="Method and path template (API only).")
    targets: list[str] = Field(default_factory=list, description="Ids of what it acted on.")
    counts: dict[str, int] = Field(default_factory=dict)
    outcome: str = Field(description=f"One of: {', '.join(OUTCOMES)}.")
    status: int | None = Field(default=None, description="HTTP status or CLI exit code.")
    request_id: str | None = None
    duration_ms: float | None = None


class AuditFilter(BaseModel):
    """What a page of the audit log is restricted to (every given filter must hold)."""

    model_config = ConfigDict(frozen=True)

    action: str | None = None
    actor: str | None = None
    outcome: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditPage(BaseModel):
    """Entries newest first; ``next`` continues after the last one (null at the end)."""

    entries: list[AuditEntry]
    next: str | None = Field(
        default=None, description="Pass as `cursor` for the next (older) page."
    )
