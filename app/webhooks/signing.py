"""The webhook signature: HMAC-SHA256 over the timestamp, a dot and the body.

Receivers verify it as README ("Webhooks") shows: recompute the HMAC with the shared secret
over ``<X-Idgraph-Timestamp>.<raw body>``, compare in constant time with the hex digest
after ``sha256=`` in ``X-Idgraph-Signature``, and refuse old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Idgraph-Signature"
TIMESTAMP_HEADER = "X-Idgraph-Timestamp"
EVENT_HEADER = "X-Idgraph-Event-Id"
WEBHOOK_HEADER = "X-Idgraph-Webhook-Id"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Idgraph-Signature`` value: ``sha256=<hex HMAC of "<timestamp>." + body>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """True when ``signature`` is :func:`sign`'s for this timestamp and body (for tests and
    Python receivers; it does not check the timestamp's age)."""
    if not timestamp.isdigit():
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
