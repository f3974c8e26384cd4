"""The data-subject export: everything idgraph stores about one person, in one document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class CustomerExport(BaseModel):
    """``GET /v1/customers/{id}/export`` and ``idgraph export``.

    ``sections`` holds one list per kind of data (``records``, ``identifiers``, ``links``,
    ``history``, ``overrides``, ``customers``, ...), each row every property stored, times
    in ISO 8601; ``about`` says in words what each section is.
    """

    customer_id: str = Field(description="The id asked for")
    current_id: str = Field(description="The id the customer lives on as (after merges)")
    status: str = Field(description="active, merged or retired")
    exported_at: datetime
    about: dict[str, str] = Field(description="What each section holds, for a person")
    sections: dict[str, list[dict[str, Any]]]
