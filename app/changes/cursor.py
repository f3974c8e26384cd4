"""The change feed's cursor: an opaque string standing for a sequence number.

Clients store it and send it back; only this module knows what is inside (today
``v1:<sequence>`` in unpadded URL-safe base64), so the encoding can change later.
"""

from __future__ import annotations

import base64
import binascii
import re

from app.core.errors import FieldError, InvalidInputError

_PREFIX = "v1:"
_NUMBER = re.compile(r"0|[1-9][0-9]{0,18}")
#: Neo4j integers are 64-bit.
MAX_SEQUENCE = 2**63 - 1
#: Longest cursor accepted (``v1:`` and 19 digits, encoded).
MAX_LENGTH = 32


def encode(sequence: int) -> str:
    """The cursor that resumes after event ``sequence`` (0: the beginning of the feed)."""
    raw = f"{_PREFIX}{sequence}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, field: tuple[str, ...] = ("after",)) -> int:
    """The sequence number behind ``cursor``.

    Raises:
        InvalidInputError: naming ``field`` when :func:`encode` did not make it.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    digits = raw.removeprefix(_PREFIX)
    if not raw.startswith(_PREFIX) or not _NUMBER.fullmatch(digits):
        raise _invalid(field)
    sequence = int(digits)
    if sequence > MAX_SEQUENCE:
        raise _invalid(field)
    return sequence


def _invalid(field: tuple[str, ...]) -> InvalidInputError:
    message = "not a change feed cursor (use `next` or an event's `cursor` as given)"
    return InvalidInputError(message, [FieldError(field, message)])
