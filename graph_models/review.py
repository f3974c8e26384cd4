"""The review queue: doubtful matches and close policy splits, and analysts' decisions."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from graph_models.customers import LinkEvidence, OverrideDecision


class ReviewKind(StrEnum):
    PAIR = "pair"  # a link in the grey zone around the join threshold
    POLICY_SPLIT = "policy_split"  # a policy cut strong evidence apart


class ReviewItem(BaseModel):
    """One doubtful case, with its evidence. Deciding it (``POST /v1/review/decisions``
    with ``a`` and ``b``) becomes a must-link (same) or cannot-link (different)."""

    item_id: str = Field(description="pair:<a>|<b> or policy_split:<a>|<b>")
    kind: ReviewKind
    score: float = Field(
        description="How useful a decision is, 0 to 1: a pair at the join threshold, or a "
        "split that cut near-certain evidence, scores 1"
    )
    a: str
    b: str
    customer_a: str | None
    customer_b: str | None
    match_probability: float = Field(
        description="pair: its evidence; policy_split: the evidence the cut removed, "
        "1 - the product of (1 - p) over the cut links"
    )
    records: int = Field(description="Records behind the evidence in question")
    evidence: list[LinkEvidence] = Field(
        default_factory=list, description="pair: its links; policy_split: the cut links"
    )
    policy: str | None = Field(default=None, description="policy_split: the rule that cut")
    field: str | None = Field(default=None, description="attribute policy: the field")
    conflicting_records: list[str] = Field(
        default_factory=list, description="attribute policy: the two records that disagreed"
    )
    question: str = Field(description="What the analyst decides, in words")


class ReviewPage(BaseModel):
    items: list[ReviewItem]
    total: int = Field(description="Items in the queue (of this kind)")
    offset: int
    limit: int
    grey_zone: tuple[float, float]
    threshold: float


class ReviewDecision(BaseModel):
    """An analyst's answer to a review item; signed with the caller's key."""

    model_config = ConfigDict(extra="forbid")

    a: str = Field(min_length=3, max_length=600, examples=["email:jane@example.com"])
    b: str = Field(min_length=3, max_length=600, examples=["record:crm|A-1001"])
    decision: OverrideDecision
    reason: str = Field(min_length=1, max_length=1000, examples=["same person: confirmed by phone"])
    analyst: str | None = Field(
        default=None,
        max_length=100,
        description="Optional name to sign with, besides the key's own short name",
    )
