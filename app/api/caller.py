"""Who is calling: the role of the presented API key and its short name.

Keys have no names; ``sha256=1a2b3c4d`` (the start of the key's SHA-256, as in
``IDGRAPH_API_KEYS`` and the access log) stands for one. Decisions taken through the API
(review decisions) are signed with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.api.deps import require
from app.api.observability import key_id
from app.core.security import Role


@dataclass(frozen=True)
class Caller:
    role: Role
    key_id: str

    @property
    def name(self) -> str:
        """How decisions are signed: ``admin key sha256=1a2b3c4d``."""
        return f"{self.role.name.lower()} key {self.key_id}"


def caller(need: Role) -> Callable[..., Awaitable[Caller]]:
    """A dependency like :func:`app.api.deps.require` that answers who the caller is."""

    allowed = Depends(require(need))  # a default, not an annotation: ``need`` is local

    async def check(request: Request, role: Role = allowed) -> Caller:
        # require() has checked the header: "Bearer <key>" with a known key
        presented = request.headers["authorization"].split(None, 1)[1]
        return Caller(role, key_id(hashlib.sha256(presented.encode()).digest()))

    return check


ReaderCallerDep = Annotated[Caller, Depends(caller(Role.READER))]
AdminCallerDep = Annotated[Caller, Depends(caller(Role.ADMIN))]
