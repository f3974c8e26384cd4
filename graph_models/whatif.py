"""What-if: a proposed change and what it would do to the customers (nothing written)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from graph_models.customers import Change, OverrideDecision
from graph_models.records import SourceRecord


class ProposedOverride(BaseModel):
    """An analyst's same/different decision to try (``kind:value`` identifiers)."""

    model_config = ConfigDict(extra="forbid")

    a: str = Field(min_length=3, max_length=600, examples=["email:jane@example.com"])
    b: str = Field(min_length=3, max_length=600, examples=["phone:+14155550100"])
    decision: OverrideDecision


class WhatIfRequest(BaseModel):
    """Exactly one proposed change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "override": {
                        "a": "email:jane@example.com",
                        "b": "email:j.doe@example.com",
                        "decision": "same",
                    }
                },
                {"quarantine": "phone:+14155550199"},
                {
                    "add_record": {
                        "source": "crm",
                        "record_id": "A-2002",
                        "identifiers": [
                            {"kind": "email", "value": "jane@example.com"},
                            {"kind": "phone", "value": "+1 415 555 0111"},
                        ],
                    }
                },
                {"erase": "email:jane@example.com"},
            ]
        },
    )

    override: ProposedOverride | None = Field(
        default=None, description="A must-link (same) or cannot-link (different) to try"
    )
    quarantine: str | None = Field(
        default=None,
        max_length=600,
        description="An identifier (kind:value) to treat as shared: it would join no customer",
    )
    add_record: SourceRecord | None = Field(
        default=None, description="A new record, as POST /v1/records takes it"
    )
    erase: str | None = Field(
        default=None,
        max_length=600,
        description="An identifier (kind:value) to erase, as DELETE /v1/identifiers would",
    )


class CustomerOutcome(BaseModel):
    """A customer as it would be after the change (only those that would differ)."""

    customer_id: str = Field(description="The id it would keep, or new-1, new-2... for new ones")
    new: bool = Field(description="A customer id that does not exist yet")
    identifiers: list[str]
    from_customers: list[str] = Field(
        default_factory=list, description="The customers its identifiers belong to now"
    )


class IdentifierMove(BaseModel):
    """An identifier whose customer id would change."""

    key: str
    before: str | None
    after: str | None = Field(description="None: in no customer (shared or erased)")


class WhatIfResult(BaseModel):
    """What the change would do, computed on the live graph in a read-only transaction."""

    proposal: str = Field(description="The change, in words")
    merges: list[list[str]] = Field(
        default_factory=list, description="Groups of existing customers that would become one"
    )
    splits: dict[str, list[str]] = Field(
        default_factory=dict, description="Existing customer -> the customers it would split into"
    )
    moved: list[IdentifierMove] = Field(default_factory=list)
    customers: list[CustomerOutcome] = Field(default_factory=list)
    quarantined: list[str] = Field(
        default_factory=list, description="Identifiers that would be quarantined as shared"
    )
    released: list[str] = Field(
        default_factory=list, description="Identifiers that would no longer be shared"
    )
    changes: list[Change] = Field(
        default_factory=list, description="The history events applying it would write"
    )
    exact: bool = Field(
        default=True,
        description="False when a part of the engine could not be replayed without writing "
        "(see notes); the prediction may then differ from the outcome",
    )
    notes: list[str] = Field(default_factory=list)
    written: bool = Field(default=False, description="Always false: nothing was written")
