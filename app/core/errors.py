"""The one error hierarchy of idgraph; the API maps each class to an HTTP status.

Input errors name what was wrong in the caller's terms: the field (a path inside the
input, ``("identifiers", 0, "value")``) and, for a batch, the record. Where the input came
from (a body, a query, a path) is for the API to say (``app.api.errors``); the CLI prints
the record and field as they are.
"""

from __future__ import annotations

from dataclasses import dataclass


class IdgraphError(Exception):
    """Root of every error idgraph raises on purpose."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RecordRef:
    """A record of a batch: its position in the batch and its identity."""

    index: int
    source: str
    record_id: str


@dataclass(frozen=True)
class FieldError:
    """One bad field.

    Attributes:
        field: the path to it inside the input (inside the record, for a batch):
            ``("identifiers", 1, "value")``, ``("a",)``; empty for the input as a whole.
        msg: what is wrong with it.
        type: a short machine-readable kind (``value_error``, ``invalid_identifier``...).
        record: the batch's record it belongs to, if any.
    """

    field: tuple[str | int, ...]
    msg: str
    type: str = "value_error"
    record: RecordRef | None = None


class InvalidInputError(IdgraphError):
    """Input that cannot be accepted; ``errors`` name each bad field."""

    status_code = 422

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class InvalidIdentifierError(InvalidInputError):
    """An identifier value that does not normalise for its kind (``field`` says which)."""

    def __init__(self, kind: str, value: str, reason: str, field: str = "value") -> None:
        message = f"invalid {kind} identifier {value!r}: {reason}"
        super().__init__(message, [FieldError((field,), message, "invalid_identifier")])
        self.kind = kind
        self.value = value
        self.reason = reason
        self.field = field


class NotFoundError(IdgraphError):
    status_code = 404


class ConflictError(IdgraphError):
    """The request contradicts what is stored (e.g. a second override for one pair)."""

    status_code = 409


class StoreUnavailableError(IdgraphError):
    """Neo4j cannot be reached or is not ready."""

    status_code = 503


class ProvisioningError(IdgraphError):
    """The local Neo4j could not be installed, started or stopped; the message says what to do."""


class BackupError(IdgraphError):
    """A backup or restore could not be made; the message says why and what to do."""
