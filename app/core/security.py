"""API keys with roles: ``reader`` < ``writer`` < ``admin``.

Keys come from ``IDGRAPH_API_KEYS="key1:admin,key2:reader"``; an entry may give the
key's SHA-256 instead of the key (``sha256=<hex>:reader``) so the environment need not
hold the key itself. Keys are compared as digests with :func:`hmac.compare_digest`
against every configured key (constant time), and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import IntEnum

from app.core.errors import IdgraphError


class Role(IntEnum):
    """What a key may do; each role includes the ones below it."""

    READER = 1  # lookup, profiles, explain, lineage, history
    WRITER = 2  # + records
    ADMIN = 3  # + overrides, erasure


class AuthenticationError(IdgraphError):
    status_code = 401


class PermissionDeniedError(IdgraphError):
    status_code = 403


@dataclass(frozen=True)
class ApiKeys:
    """The configured keys, as digests with their roles."""

    entries: tuple[tuple[bytes, Role], ...]

    @classmethod
    def parse(cls, spec: str) -> ApiKeys:
        """Parse ``key:role,...`` (``sha256=<hex>:role`` for a stored hash)."""
        entries = []
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            secret, sep, role_name = item.rpartition(":")
            if not sep or not secret:
                raise ValueError(
                    "IDGRAPH_API_KEYS entries look like key:role (role reader, writer or admin)"
                )
            try:
                role = Role[role_name.strip().upper()]
            except KeyError:
                raise ValueError(
                    f"IDGRAPH_API_KEYS: unknown role {role_name!r}; use reader, writer or admin"
                ) from None
            if secret.startswith("sha256="):
                digest = bytes.fromhex(secret[len("sha256=") :])
            else:
                digest = hashlib.sha256(secret.encode()).digest()
            entries.append((digest, role))
        return cls(tuple(entries))

    def role_of(self, key: str) -> Role | None:
        """The role of a presented key, or None; constant time over all entries."""
        digest = hashlib.sha256(key.encode()).digest()
        found: Role | None = None
        for candidate, role in self.entries:
            if hmac.compare_digest(candidate, digest) and found is None:
                found = role
        return found


def hash_key(key: str) -> str:
    """The ``sha256=<hex>`` form of a key, for IDGRAPH_API_KEYS."""
    return "sha256=" + hashlib.sha256(key.encode()).hexdigest()
