"""Consent per purpose: what a person said (statements on records) and what follows.

A record may carry statements (``{"purpose": "marketing", "granted": false, "at": ...}``);
a customer's consent for a purpose is derived from the statements of its records as it
is now (:mod:`app.privacy.consent.rules`), so it follows merges and splits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from graph_models.identifiers import MAX_KIND_LENGTH, MAX_VALUE_LENGTH

MAX_PURPOSE_LENGTH = 64
#: As ``graph_models.records`` bounds a record's source and id (that module imports this).
MAX_SOURCE_LENGTH = 128
MAX_STATEMENT_ID_LENGTH = 200
#: The purposes when ``IDGRAPH_CONSENT_PURPOSES`` is not set.
DEFAULT_PURPOSES = ("marketing", "analytics", "personalisation")
#: Statements one record may carry.
MAX_STATEMENTS = 50


def as_utc(value: datetime | None) -> datetime | None:
    """An aware time in UTC (a naive one is taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first representable time
        raise ValueError("out of the range of representable times") from None


class ConsentStatement(BaseModel):
    """One statement: the person granted or withdrew consent for a purpose at a time.

    ``at`` is when the person said it (a click, a form); without it, the record's
    ``observed_at`` stands in. It decides which statement is the latest.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    purpose: str = Field(min_length=1, max_length=MAX_PURPOSE_LENGTH, examples=["marketing"])
    granted: StrictBool = Field(examples=[False])
    at: datetime | None = Field(default=None, examples=["2026-11-01T10:00:00Z"])

    _utc = field_validator("at")(lambda value: as_utc(value))


class StoredStatement(BaseModel):
    """A statement as stored, with its lineage: the record (and source) that said it, the
    identifiers of the customer that record observed, and when idgraph received it."""

    purpose: str
    granted: bool
    at: datetime
    source: str
    record_id: str
    identifiers: list[str] = Field(
        default_factory=list, description="Identifier keys of this customer the record observed"
    )
    ingested_at: datetime | None = None


class ConsentBasis(StrEnum):
    STATEMENT = "statement"  # the latest statement for the purpose decides
    DEFAULT = "default"  # no statement: the configured default for the purpose


class PurposeConsent(BaseModel):
    """A customer's consent for one purpose and why."""

    purpose: str
    granted: bool
    basis: ConsentBasis
    statement: StoredStatement | None = Field(
        default=None, description="The statement that decided (basis statement)"
    )


class ConsentRequest(BaseModel):
    """``POST /v1/consent``: a statement about the person behind one identifier (e.g. a
    withdrawal from an unsubscribe link)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "email",
                    "value": "jane.doe@example.com",
                    "purpose": "marketing",
                    "granted": False,
                    "at": "2026-11-02T09:30:00Z",
                    "statement_id": "unsub-8f2c",
                }
            ]
        },
    )

    kind: str = Field(min_length=1, max_length=MAX_KIND_LENGTH, examples=["email"])
    value: str = Field(min_length=1, max_length=MAX_VALUE_LENGTH, examples=["jane.doe@example.com"])
    source: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SOURCE_LENGTH,
        description="Scope of an account value, as in lookups, e.g. `web`.",
    )
    purpose: str = Field(min_length=1, max_length=MAX_PURPOSE_LENGTH, examples=["marketing"])
    granted: StrictBool
    at: datetime | None = Field(default=None, description="When the person said it (default: now)")
    statement_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_STATEMENT_ID_LENGTH,
        description="Makes retries idempotent; without it the statement's content is its key "
        "(identifier, purpose, granted, at), so send `at` when retrying.",
    )

    _utc = field_validator("at")(lambda value: as_utc(value))


class ConsentReceipt(BaseModel):
    """What ``POST /v1/consent`` stored and the customer's consent for the purpose now."""

    statement_id: str
    source: str = Field(description="The record holding the statement: source ...")
    record_id: str = Field(description="... and record id (lineage)")
    customer_id: str | None
    consent: PurposeConsent


class CustomerConsent(BaseModel):
    """``GET /v1/customers/{id}/consent``: consent per configured purpose and every
    statement behind it, latest first."""

    customer_id: str
    purposes: list[PurposeConsent]
    statements: list[StoredStatement]


#: How far in the future a statement's time may lie (clocks differ): a later one would
#: win over every real statement until then.
MAX_CLOCK_SKEW = timedelta(minutes=10)


def stated_at(statement: ConsentStatement, observed_at: datetime) -> datetime:
    """When the statement was made: its ``at``, else the record's ``observed_at``."""
    at = statement.at or observed_at
    # compared as aware times, kept in their offset (converting one near the first
    # representable time could overflow)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def statement_problems(
    statements: Sequence[ConsentStatement],
    observed_at: datetime,
    purposes: Collection[str],
    now: datetime,
) -> list[tuple[tuple[str | int, ...], str]]:
    """``(field path inside the record, message)`` for each bad statement of a record:
    an unknown purpose, a time too far in the future, or a purpose stated twice."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    seen: set[str] = set()
    for index, statement in enumerate(statements):
        if statement.purpose not in purposes:
            problems.append(
                (
                    ("consent", index, "purpose"),
                    f"unknown purpose {statement.purpose!r}; known purposes: "
                    f"{sorted(purposes)} (IDGRAPH_CONSENT_PURPOSES)",
                )
            )
        elif statement.purpose in seen:
            problems.append(
                (
                    ("consent", index, "purpose"),
                    f"purpose {statement.purpose!r} stated twice in one record; send one "
                    "statement per purpose (its latest)",
                )
            )
        seen.add(statement.purpose)
        if stated_at(statement, observed_at) > now + MAX_CLOCK_SKEW:
            problems.append(
                (
                    ("consent", index, "at"),
                    "in the future (a statement's time, or the record's observed_at when "
                    "it has none, may be at most 10 minutes ahead)",
                )
            )
    return problems
