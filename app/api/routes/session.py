"""``GET /v1/session``: who the presented key is (the pages sign in with it)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.caller import ReaderCallerDep

router = APIRouter(tags=["session"])


class SessionView(BaseModel):
    role: str = Field(description="reader, writer or admin", examples=["admin"])
    key_id: str = Field(
        description="The key's short name: the start of its SHA-256", examples=["sha256=1a2b3c4d"]
    )


@router.get("/session", response_model=SessionView, summary="The role of the presented key")
async def session(caller: ReaderCallerDep) -> SessionView:
    """Answers 401 for an unknown key: the pages use it to check a key once."""
    return SessionView(role=caller.role.name.lower(), key_id=caller.key_id)
