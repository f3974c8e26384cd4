"""Customers, links, membership and history events."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from graph_models.consent import PurposeConsent, StoredStatement
from graph_models.identifiers import MAX_REF_LENGTH


class ChangeType(StrEnum):
    """What a resolution step did to a customer."""

    CREATED = "created"
    MERGED = "merged"
    SPLIT = "split"
    RETIRED = "retired"  # no identifier left (records replaced)
    OVERRIDE = "override"  # an analyst's same/different decision was applied
    OVERRIDE_REMOVED = "override_removed"
    ERASED = "erased"  # identifiers erased on request; the event holds no personal data
    RETENTION = "retention"  # records/identifiers past a retention rule removed (rule named)
    CONSENT = "consent"  # a statement recorded, or consent re-derived by a merge / split


class Change(BaseModel):
    """One create / merge / split caused by a batch; also stored as a history event."""

    type: ChangeType
    customer_id: str = Field(description="The surviving or new customer id.")
    before: list[str] = Field(default_factory=list, description="Customer ids before.")
    after: list[str] = Field(default_factory=list, description="Customer ids after.")
    reason: str
    trigger_record: str | None = Field(default=None, description="source|record_id")


class RecordPairEvidence(BaseModel):
    """Two records that share no identifier but look alike: how each field compared.

    ``comparison`` maps a field (first_name, birth_date, ...) to its comparison level
    (``exact``, ``jw>=0.92``, ``else`` ...), the raw similarity and the match weight
    (log2 Bayes factor) it contributed; fields missing on either side are left out.
    """

    records: list[str]
    match_probability: float
    comparison: dict[str, Any] = Field(default_factory=dict)


def record_pairs_of(
    pairs: list[str] | None, probabilities: list[float] | None, comparisons: list[str] | None
) -> list[RecordPairEvidence]:
    """The record pairs stored on a SIMILAR link (parallel lists), strongest first."""
    out = []
    for text, p, comparison in zip(
        pairs or [], probabilities or [], comparisons or [], strict=False
    ):
        first, _, second = text.partition(" ~ ")
        parsed = json.loads(comparison) if comparison else {}
        out.append(
            RecordPairEvidence(
                records=[first, second],
                match_probability=p,
                comparison=parsed if isinstance(parsed, dict) else {},
            )
        )
    return sorted(out, key=lambda e: (-e.match_probability, e.records))


class LinkEvidence(BaseModel):
    """Evidence carried by a link between two identifiers: LINKED (seen together in
    records), SIMILAR (their records look alike) or an analyst's override."""

    a: str
    b: str
    rule: str = Field(
        description="co_observed (seen together), fellegi_sunter (records look alike), "
        "or override for a must-link decision"
    )
    records: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    match_probability: float
    match_weight: float | None = None
    below_threshold: bool = False
    record_pairs: list[RecordPairEvidence] = Field(
        default_factory=list,
        description="for fellegi_sunter links: each pair of look-alike records and how "
        "every field compared",
    )


class IdentifierView(BaseModel):
    kind: str
    value: str


class Membership(BaseModel):
    kind: str
    value: str
    membership_confidence: float
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    sources: list[str] = Field(default_factory=list)
    shared: bool = False
    shared_reason: str | None = None


class LookupResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "C-3f9a2b7c1d4e5f60",
                    "confidence": 0.9,
                    "identifier": {"kind": "email", "value": "jane.doe@example.com"},
                    "shared": False,
                    "shared_reason": None,
                },
                {
                    "customer_id": None,
                    "confidence": None,
                    "identifier": {"kind": "phone", "value": "+14159000000"},
                    "shared": True,
                    "shared_reason": "linked to 212 distinct phone identifiers of otherwise "
                    "separate people; a phone may be linked to at most 5",
                },
            ]
        }
    )

    customer_id: str | None
    confidence: float | None
    identifier: IdentifierView | None = Field(
        description="None when asked for a purpose the customer has no consent for"
    )
    shared: bool = False
    shared_reason: str | None = None
    purpose: str | None = Field(default=None, description="The purpose asked about, if any")
    permitted: bool | None = Field(
        default=None,
        description="Whether the customer may be used for the purpose (asked for one only)",
    )
    consent: PurposeConsent | None = Field(
        default=None, description="The consent for the purpose and the statement behind it"
    )


class CustomerProfile(BaseModel):
    customer_id: str
    status: str = Field(description="active, or merged when this id was merged away")
    merged_into: str | None = None
    confidence: float | None = None
    identifiers: list[Membership] = Field(default_factory=list)
    attributes: dict[str, str] = Field(default_factory=dict)
    attribute_sources: dict[str, str] = Field(default_factory=dict)
    sources: list[str] = Field(default_factory=list)
    record_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    consent: list[PurposeConsent] | None = Field(
        default=None,
        description="Consent per configured purpose (README, Consent); not kept for as_of",
    )


class RecordResult(BaseModel):
    source: str
    record_id: str
    customer_id: str | None
    confidence: float | None
    changes: list[Change] = Field(default_factory=list)


class RecordsResponse(BaseModel):
    results: list[RecordResult]


class HistoryEvent(BaseModel):
    """One create / merge / split / retire / override / erase event."""

    at: datetime
    type: str
    customer_id: str
    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)
    reason: str
    trigger_record: str | None = None


class CustomerHistory(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "C-00aa11bb22cc33dd",
                    "current_id": "C-3f9a2b7c1d4e5f60",
                    "current_status": "active",
                    "events": [
                        {
                            "at": "2026-11-01T12:00:00Z",
                            "type": "merged",
                            "customer_id": "C-3f9a2b7c1d4e5f60",
                            "before": ["C-3f9a2b7c1d4e5f60", "C-00aa11bb22cc33dd"],
                            "after": ["C-3f9a2b7c1d4e5f60"],
                            "reason": "cookie:ck-81 is now linked to email:jane@example.com "
                            "(match probability 0.8500)",
                            "trigger_record": "web|w-9",
                        }
                    ],
                    "offset": 0,
                    "limit": 100,
                }
            ]
        }
    )

    customer_id: str
    current_id: str = Field(description="The id the asked customer lives on as now.")
    current_status: str
    events: list[HistoryEvent]
    offset: int
    limit: int


class LineageRecord(BaseModel):
    source: str
    record_id: str
    observed_at: datetime
    ingested_at: datetime | None = None
    identifiers: list[str] = Field(description="Identifier keys of this customer it observed")


class LineageSource(BaseModel):
    source: str
    records: list[LineageRecord]


class LineageLink(BaseModel):
    a: str
    b: str
    rule: str
    records: list[str]
    sources: list[str]
    match_probability: float
    match_weight: float
    first_seen: datetime
    last_seen: datetime
    record_pairs: list[RecordPairEvidence] = Field(default_factory=list)


class CustomerLineage(BaseModel):
    customer_id: str = Field(description="The active id the lineage is read from.")
    sources: list[LineageSource]
    links: list[LineageLink]
    total_records: int
    total_links: int
    offset: int
    limit: int
    consent_statements: list[StoredStatement] | None = Field(
        default=None,
        description="Every consent statement of the customer's records, latest first, with "
        "the record and source that made it (all of them, not paged)",
    )


class OverrideDecision(StrEnum):
    SAME = "same"
    DIFFERENT = "different"


class OverrideRequest(BaseModel):
    """An analyst's decision about two identifiers (``kind:value``)."""

    a: str = Field(min_length=3, max_length=MAX_REF_LENGTH, examples=["email:jane@example.com"])
    b: str = Field(min_length=3, max_length=MAX_REF_LENGTH, examples=["phone:+14155550100"])
    decision: OverrideDecision
    reason: str = Field(min_length=1, max_length=1000, examples=["confirmed by phone call"])
    actor: str = Field(min_length=1, max_length=200, examples=["analyst@example.com"])


class Override(BaseModel):
    override_id: str
    a: str
    b: str
    decision: OverrideDecision
    reason: str
    actor: str
    created_at: datetime
    customer_a: str | None = Field(default=None, description="a's customer after applying")
    customer_b: str | None = Field(default=None, description="b's customer after applying")
    changes: list[Change] = Field(default_factory=list)


class ExplainedIdentifier(BaseModel):
    key: str
    customer_id: str | None
    shared: bool = False
    shared_reason: str | None = None


class Counterfactual(BaseModel):
    """What single change would separate two identifiers of one customer."""

    critical_links: list[LinkEvidence] = Field(
        default_factory=list, description="Each alone, if removed, separates them"
    )
    critical_identifiers: list[str] = Field(
        default_factory=list, description="Each alone, if removed, separates them"
    )
    minimum_cut: list[LinkEvidence] = Field(
        default_factory=list,
        description="The fewest links whose joint removal separates them (when no single one does)",
    )
    summary: str


class PolicySplitExplanation(BaseModel):
    rule: str = Field(description="The policy or cannot-link override that split them")
    separated: list[str]
    cut_links: list[LinkEvidence]
    field: str | None = Field(
        default=None,
        description="For an attribute policy: the record attribute whose values disagreed",
    )
    records: list[str] = Field(
        default_factory=list,
        description="For an attribute policy: the two records (one observing each separated "
        "identifier) whose values of `field` disagreed beyond a typo",
    )


class Explanation(BaseModel):
    """Why two identifiers are, or are not, the same customer: the stored evidence."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "a": {"key": "email:jane@example.com", "customer_id": "C-3f9a2b7c1d4e5f60"},
                    "b": {"key": "cookie:ck-81", "customer_id": "C-3f9a2b7c1d4e5f60"},
                    "same_customer": True,
                    "verdict": "same_customer",
                    "summary": "email:jane@example.com and cookie:ck-81 are customer "
                    "C-3f9a2b7c1d4e5f60: joined by a path of 2 link(s) whose weakest is "
                    "phone:+14155550100 -- cookie:ck-81 (p=0.8500). Removing any one of "
                    "these would separate them: ...",
                    "threshold": 0.5,
                    "path": ["email:jane@example.com", "phone:+14155550100", "cookie:ck-81"],
                    "links": [
                        {
                            "a": "email:jane@example.com",
                            "b": "phone:+14155550100",
                            "rule": "co_observed",
                            "records": ["crm|A-1001", "orders|O-77"],
                            "sources": ["crm", "orders"],
                            "match_probability": 0.99,
                            "match_weight": 6.63,
                        }
                    ],
                    "counterfactual": {
                        "critical_links": [],
                        "critical_identifiers": ["phone:+14155550100"],
                        "minimum_cut": [],
                        "summary": "Removing any one of these would separate them: "
                        "phone:+14155550100.",
                    },
                }
            ]
        }
    )

    a: ExplainedIdentifier
    b: ExplainedIdentifier
    same_customer: bool
    verdict: str = Field(
        description="same_customer, no_path, weak_link, policy_split, override, shared_identifier"
    )
    summary: str
    threshold: float
    path: list[str] = Field(default_factory=list, description="Identifier keys, a to b")
    links: list[LinkEvidence] = Field(default_factory=list, description="Along the path")
    weakest_link: LinkEvidence | None = None
    counterfactual: Counterfactual | None = None
    split: PolicySplitExplanation | None = None
    shared_identifiers: list[ExplainedIdentifier] = Field(default_factory=list)


class BackupOnRecord(BaseModel):
    """A backup ``idgraph backup`` took (from its catalog, ``<state dir>/backups.jsonl``)."""

    file: str = Field(description="The dump file, as an absolute path")
    taken_at: datetime
    size: int = Field(description="Bytes")
    database: str


class ErasureReport(BaseModel):
    """What an erasure removed; holds no personal data (keyed hashes only)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject": "5d41402abc4b2a76b9719d911017c592a1b2c3d4e5f60718293a4b5c6d7e8f9",
                    "identifiers_erased": 4,
                    "records_scrubbed": 1,
                    "records_deleted": 2,
                    "suppressed": True,
                    "customers_affected": ["C-3f9a2b7c1d4e5f60"],
                    "changes": [],
                }
            ]
        }
    )

    subject: str = Field(description="Keyed hash of what was asked to be erased")
    identifiers_erased: int
    records_scrubbed: int
    records_deleted: int
    suppressed: bool
    customers_affected: list[str]
    changes: list[Change] = Field(default_factory=list)
    backups_holding_erased_data: list[BackupOnRecord] = Field(
        default_factory=list,
        description="Backups taken before this erasure whose files still exist: they hold "
        "the erased values. Delete them (or take a new backup and delete the old); "
        "restoring one brings the values back and the erasure must be repeated.",
    )


class MatchLevelView(BaseModel):
    """One comparison level of one field in the match model."""

    field: str
    level: int
    label: str = Field(description="e.g. exact, jw>=0.92, lev<=1, else")
    m: float = Field(description="P(this level | the two records are one person)")
    u: float = Field(description="P(this level | they are two people)")
    bayes_factor: float = Field(description="m / u")
    match_weight: float = Field(description="log2 of the Bayes factor")


class MatchModelView(BaseModel):
    """The Fellegi-Sunter model live matching scores look-alike records with."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": "em-d15264e77898",
                    "method": "em",
                    "prior": 0.62,
                    "levels": [
                        {
                            "field": "birth_date",
                            "level": 3,
                            "label": "exact",
                            "m": 0.83,
                            "u": 0.004,
                            "bayes_factor": 207.5,
                            "match_weight": 7.70,
                        }
                    ],
                }
            ]
        }
    )

    version: str
    method: str = Field(description="default (built in), em (fitted) or labels")
    prior: float = Field(description="share of candidate pairs that are matches (lambda)")
    levels: list[MatchLevelView]
