"""Source records: what other services observed, as sent to ``POST /v1/records``."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from graph_models.consent import MAX_STATEMENTS, ConsentStatement
from graph_models.identifiers import Identifier, RawIdentifier

#: Bounds of a record's identity as sent.
MAX_SOURCE_LENGTH = 128
MAX_RECORD_ID_LENGTH = 256


def utc_now() -> datetime:
    return datetime.now(UTC)


class SourceRecord(BaseModel):
    """One observation: a source's record with the identifiers it carries.

    ``(source, record_id)`` is the record's identity: re-sending it changes nothing,
    re-sending it with new content replaces its old evidence.
    """

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=MAX_SOURCE_LENGTH, examples=["crm"])
    record_id: str = Field(min_length=1, max_length=MAX_RECORD_ID_LENGTH, examples=["A-1001"])
    observed_at: datetime = Field(default_factory=utc_now, examples=["2026-11-01T12:00:00Z"])
    identifiers: list[RawIdentifier] = Field(default_factory=list, max_length=200)
    attributes: dict[str, str] = Field(
        default_factory=dict,
        examples=[{"first_name": "Jane", "last_name": "Doe", "postcode": "94110"}],
    )
    consent: list[ConsentStatement] = Field(
        default_factory=list,
        max_length=MAX_STATEMENTS,
        description="What the person said about each purpose (README, Consent).",
    )

    @field_validator("observed_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @property
    def key(self) -> str:
        return record_key(self.source, self.record_id)


def record_key(source: str, record_id: str) -> str:
    """The unique key of a record node (``crm|A-1001``)."""
    return f"{source}|{record_id}"


class NormalisedRecord(BaseModel):
    """A record after validation and normalisation, ready for the store."""

    model_config = ConfigDict(frozen=True)

    source: str
    record_id: str
    observed_at: datetime
    identifiers: tuple[Identifier, ...]
    attributes: dict[str, str]
    content_hash: str
    #: Statements with ``at`` filled in (the record's ``observed_at`` where it had none).
    consent: tuple[ConsentStatement, ...] = ()

    @property
    def key(self) -> str:
        return record_key(self.source, self.record_id)
