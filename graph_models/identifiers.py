"""Identifier kinds and identifiers."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class BuiltinKind(StrEnum):
    """Identifier kinds every deployment knows; more can be configured."""

    EMAIL = "email"
    PHONE = "phone"
    COOKIE = "cookie"
    DEVICE = "device"
    ACCOUNT = "account"


#: The reserved kind of the identifier that stands for a record without identifiers
#: (value: the record key ``source|record_id``); it is matched by attributes only.
RECORD_KIND = "record"

#: Bounds of an identifier as sent (ingestion, lookups, erasure and explanations alike).
MAX_KIND_LENGTH = 64
MAX_VALUE_LENGTH = 512
#: ``kind:value``: an identifier as explanations and overrides name it.
MAX_REF_LENGTH = MAX_KIND_LENGTH + 1 + MAX_VALUE_LENGTH


class RawIdentifier(BaseModel):
    """An identifier as a source sent it, before normalisation."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=MAX_KIND_LENGTH, examples=["email"])
    value: str = Field(min_length=1, max_length=MAX_VALUE_LENGTH, examples=["Jane.Doe@Example.com"])


class Identifier(BaseModel):
    """A normalised identifier: the node key is ``kind:value``."""

    model_config = ConfigDict(frozen=True)

    kind: str
    value: str

    @property
    def key(self) -> str:
        return identifier_key(self.kind, self.value)


def identifier_key(kind: str, value: str) -> str:
    """The unique key of an identifier node (``email:jane@example.com``)."""
    return f"{kind}:{value}"


def split_identifier_key(key: str) -> tuple[str, str]:
    """Inverse of :func:`identifier_key`."""
    kind, _, value = key.partition(":")
    return kind, value
