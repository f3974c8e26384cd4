"""The one error hierarchy of idgraph; the API maps each class to an HTTP status."""

from __future__ import annotations


class IdgraphError(Exception):
    """Root of every error idgraph raises on purpose."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputError(IdgraphError):
    """Input that cannot be accepted; ``errors`` name each bad field."""

    status_code = 422

    def __init__(self, message: str, errors: list[dict[str, object]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class InvalidIdentifierError(InvalidInputError):
    """An identifier value that does not normalise for its kind (``field`` says which)."""

    def __init__(self, kind: str, value: str, reason: str, field: str = "value") -> None:
        super().__init__(f"invalid {kind} identifier {value!r}: {reason}")
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
