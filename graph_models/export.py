"""The data-subject export: everything idgraph stores about one person, in one document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CustomerExport(BaseModel):
    """``GET /v1/customers/{id}/export`` and ``idgraph export``.

    ``sections`` holds one list per kind of data (``records``, ``identifiers``, ``links``,
    ``history``, ``overrides``, ``customers``, ...), each row every property stored, times
    in ISO 8601; ``about`` says in words what each section is.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "C-3f9a2b7c1d4e5f60",
                    "current_id": "C-3f9a2b7c1d4e5f60",
                    "status": "active",
                    "exported_at": "2026-12-01T12:00:00Z",
                    "about": {"records": "every source record about you, as received"},
                    "sections": {
                        "records": [
                            {
                                "key": "crm|A-1001",
                                "source": "crm",
                                "record_id": "A-1001",
                                "observed_at": "2026-11-01T12:00:00Z",
                                "attributes": {"first_name": "Jane"},
                                "observed": [
                                    {
                                        "identifier": "email:jane@example.com",
                                        "observed_at": "2026-11-01T12:00:00Z",
                                    }
                                ],
                                "blocks": [],
                            }
                        ]
                    },
                }
            ]
        }
    )

    customer_id: str = Field(description="The id asked for")
    current_id: str = Field(description="The id the customer lives on as (after merges)")
    status: str = Field(description="active, merged or retired")
    exported_at: datetime
    about: dict[str, str] = Field(description="What each section holds, for a person")
    sections: dict[str, list[dict[str, Any]]]
