"""Settings, from the environment (prefix ``IDGRAPH_``) or a ``.env`` file.

``NEO4J_URI`` / ``NEO4J_USER`` / ``NEO4J_PASSWORD`` (no prefix) name an external Neo4j
(Docker, Aura, a cluster); when they are unset, idgraph uses the local server that
``idgraph neo4j start`` provisions and reads its generated password from its 0600 file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

NEO4J_VERSION = "5.26.30"
NEO4J_BROWSER_VERSION = "5.24.0"


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


class Settings(BaseSettings):
    """All of idgraph's configuration. Every field is an ``IDGRAPH_<NAME>`` variable."""

    model_config = SettingsConfigDict(env_prefix="IDGRAPH_", env_file=".env", extra="ignore")

    # --- the API server
    host: str = "127.0.0.1"
    port: int = 8000
    #: API worker processes (``idgraph serve``); the service is stateless, so each is a
    #: replica. Python runs one core per process: a second worker lets requests compute
    #: at once (ingest batches that share a customer still wait for each other's locks).
    workers: int = Field(default=1, ge=1, le=64)
    max_batch_size: int = Field(default=1000, ge=1, le=100_000)
    #: ``key:role,...`` with roles reader, writer, admin (``sha256=<hex>:role`` for hashes).
    #: No keys means every /v1 request is refused with 401.
    api_keys: str = Field(default="", repr=False)
    #: ``GET /metrics`` without a key; false: any key with role reader or higher.
    metrics_public: bool = False
    #: Request bodies larger than this are refused with 413 before they are read (checked
    #: against Content-Length, and counted while a body without one streams in). 16 MiB
    #: holds a full batch of ``max_batch_size`` (1000) records of up to 16 KiB each.
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    #: Requests per API key, in the notation of the ``limits`` package: ``"20/second"``,
    #: or ``"20/second;600/minute"`` for a burst and a sustained rate. Empty: no limit.
    #: Counted in each API process (each worker and replica counts its own requests).
    rate_limit: str = ""

    # --- Neo4j connection (external when NEO4J_URI is set)
    neo4j_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("NEO4J_URI", "IDGRAPH_NEO4J_URI")
    )
    neo4j_user: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "IDGRAPH_NEO4J_USER")
    )
    neo4j_password: str | None = Field(
        default=None,
        validation_alias=AliasChoices("NEO4J_PASSWORD", "IDGRAPH_NEO4J_PASSWORD"),
    )
    neo4j_database: str = "neo4j"

    # --- the local Neo4j that idgraph provisions
    neo4j_version: str = NEO4J_VERSION
    neo4j_browser_version: str = NEO4J_BROWSER_VERSION
    cache_dir: Path = Field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "idgraph")
    state_dir: Path = Field(
        default_factory=lambda: _xdg("XDG_STATE_HOME", ".local/state") / "idgraph" / "neo4j"
    )
    neo4j_bolt_port: int = 7687
    neo4j_http_port: int = 7474
    neo4j_heap: str = "4g"
    neo4j_pagecache: str = "4g"
    neo4j_start_timeout: float = 180.0
    #: How long the local server keeps transaction logs (Neo4j's
    #: ``db.tx_log.rotation.retention_policy``): logs with a transaction from the last day,
    #: at most 1 GiB. Erased values stay in the log files until those are pruned.
    neo4j_tx_log_retention: str = "1 days 1G"
    #: Size at which a transaction log file is rotated (``db.tx_log.rotation.size``; at
    #: least 128K): only rotated files are pruned, so this bounds what the current one holds.
    neo4j_tx_log_rotation_size: str = "16M"

    # --- erasure
    #: Keep erased identifiers from being linked again (by keyed hash).
    erasure_suppression: bool = True
    #: Key of the keyed hash standing in for erased identifiers; when unset a random key
    #: is created once and kept in the graph (set it to keep it out of the database).
    erasure_key: str | None = Field(default=None, repr=False)

    # --- retention (app/privacy/retention; README "Retention")
    #: A JSON list of rules, or the path of a YAML/JSON file holding one, e.g.
    #: ``[{"name": "cookies", "kind": "cookie", "keep_for": "13 months"}]``. Empty: none.
    retention_rules: str = ""
    #: Seconds between retention runs inside each API process; 0 (default): never (run
    #: ``idgraph retention apply`` from cron instead).
    retention_interval: float = Field(default=0.0, ge=0, le=30 * 86400)
    #: Expired records or identifiers removed per transaction.
    retention_batch_size: int = Field(default=500, ge=1, le=10_000)

    # --- resolution
    default_region: str = "US"
    extra_kinds: list[str] = Field(default_factory=list)
    global_account_sources: bool = False
    join_threshold: float = Field(default=0.5, gt=0, lt=1)
    #: JSON, e.g. ``[{"kind": "account", "max_per_customer": 1, "per_source": true}]``
    kind_policies: list[dict[str, Any]] = Field(
        default_factory=lambda: [{"kind": "account", "max_per_customer": 1, "per_source": True}]
    )
    #: JSON, e.g. ``[{"field": "birth_date", "compare": "date"}]``: at most one value of the
    #: record attribute per customer, up to a typo (``compare``: date, code, exact, or
    #: person for ``first_name+birth_date``: unlike first names with differing dates).
    attribute_policies: list[dict[str, Any]] = Field(
        default_factory=lambda: [
            {"field": "birth_date", "compare": "date"},
            {"field": "national_id", "compare": "code"},
            {"field": "first_name+birth_date", "compare": "person"},
        ]
    )
    #: JSON list of sources that list each person at most once (a census, a deduplicated
    #: CRM, a register keyed by person), e.g. ``["census", "crm"]``: at most one record of
    #: each per customer, however alike two of them look (household members).
    one_record_per_person_sources: list[str] = Field(default_factory=list)
    #: JSON, ``{"<kind or *>": {"<neighbour kind>": limit}}``; None keeps the defaults.
    shared_limits: dict[str, dict[str, int]] | None = None
    #: JSON, ``{"<kind>": strength}``: base match probability of a co-observation link.
    kind_strength: dict[str, float] | None = None

    # --- probabilistic matching (records compared by their attributes)
    #: Compare records by name, birth date, address...; off: identifiers only.
    matching_enabled: bool = True
    #: A blocking key shared by more records than this yields no candidates.
    match_max_block: int = Field(default=200, ge=2)
    #: Record pairs scoring below this are not stored as evidence.
    match_min_probability: float = Field(default=0.05, gt=0, lt=1)

    # --- consent per purpose (README, "Consent")
    #: JSON list of the purposes statements may name.
    consent_purposes: list[str] = Field(
        default_factory=lambda: ["marketing", "analytics", "personalisation"]
    )
    #: JSON list of purposes a customer with no statement for them may be used for; the
    #: others (by default all) need a grant.
    consent_granted_by_default: list[str] = Field(default_factory=list)
    #: Source of the records ``POST /v1/consent`` and ``idgraph consent record`` store
    #: statements on (one record per statement, observing the one identifier).
    consent_source: str = Field(default="consent", min_length=1, max_length=128)

    # --- webhooks (delivery of the change feed; see app/webhooks)
    #: Run the webhook deliverer in this API process (every process may: a lease stored on
    #: each subscription lets one deliver it at a time).
    webhook_delivery: bool = True
    #: Seconds between delivery rounds when nothing is pending.
    webhook_poll_interval: float = Field(default=1.0, gt=0, le=3600)
    #: Seconds to wait for a receiver's answer.
    webhook_timeout: float = Field(default=10.0, gt=0, le=300)
    #: Seconds a process keeps a subscription after its last step; another takes over when it
    #: expires (a killed process's deliveries resume after at most this). Keep it above the
    #: timeout: the lease is renewed after each delivery.
    webhook_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    #: Back-off after a failed delivery: this many seconds, doubled each failure in a row...
    webhook_backoff_initial: float = Field(default=1.0, gt=0, le=3600)
    #: ... up to this many.
    webhook_backoff_max: float = Field(default=600.0, gt=0, le=86400)

    # --- the review queue (GET /v1/review)
    #: Pairs whose match probability p has review_min_probability <= p <
    #: review_max_probability (the grey zone around the join threshold) are listed; a
    #: single co-observation of a device (0.8) is not.
    review_min_probability: float = Field(default=0.3, gt=0, lt=1)
    review_max_probability: float = Field(default=0.8, gt=0, lt=1)
    #: A policy split is listed when the evidence it cut was at least this strong
    #: (1 - the product of (1 - p) over the cut links): a close call against the evidence.
    review_split_min_cut: float = Field(default=0.9, gt=0, lt=1)
    #: How many cut links (joinable evidence between two customers) the queue examines
    #: for policy splits, strongest first.
    review_max_cut_links: int = Field(default=500, ge=0, le=10_000)

    @property
    def external_neo4j(self) -> bool:
        return self.neo4j_uri is not None

    @property
    def bolt_uri(self) -> str:
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.neo4j_bolt_port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
