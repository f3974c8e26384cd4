"""What the engine and the feature services need from storage, as Protocols by area (the
store implements them on Neo4j, :mod:`app.store`), and the named types they return.

:class:`ResolutionUnit` is one transaction (a "unit of work"): a batch's evidence,
re-evaluation and history commit together or not at all, and a retried transaction
starts again from a clean slate. It is the sum of the areas a resolution touches:
records and identifiers, links, customers, overrides, erasure, similarity and the match
model. The store-level Protocols after it run their own transactions: the transactions
themselves, lookups, customer reads, overrides, the whole-graph scan of ``recluster``, the
change feed and webhook subscriptions.

Rows come back as named types: a ``NamedTuple`` where the row is a few positional values
(it still unpacks like the tuple it replaced), a ``TypedDict`` where the row is a map of
the query's columns (so a misspelt column is a type error, and nothing is copied).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol, TypedDict, TypeVar

T = TypeVar("T")


# ---------------------------------------------------------------------- named types
class StoredRecord(NamedTuple):
    """A record as stored: what its content hashed to and the identifiers it observed."""

    content_hash: str
    identifiers: list[str]


class LinkSeen(NamedTuple):
    """A stored co-observation link: the records behind it, first and last seen."""

    records: list[str]
    first_seen: datetime
    last_seen: datetime


class NeighbourKinds(NamedTuple):
    """An identifier's kind, whether it is shared now, and its distinct neighbours by kind."""

    kind: str
    shared: bool
    counts: dict[str, int]


class CustomerMembers(NamedTuple):
    created_at: datetime
    members: set[str]


class CurrentMembers(NamedTuple):
    """The id a customer lives on as now, and that customer's member identifiers."""

    current_id: str
    members: list[str]


class CustomerOf(NamedTuple):
    """An identifier's customer (None: shared, or in none) and membership confidence."""

    customer_id: str | None
    confidence: float | None


class ExpandedMember(NamedTuple):
    key: str
    shared: bool
    membership: float | None
    links: list[tuple[str, float]]


class ExpandedCustomer(NamedTuple):
    """A customer the walk took whole (locked), with its members' joinable links."""

    customer_id: str
    created_at: datetime
    members: list[ExpandedMember]


class BlockSize(NamedTuple):
    block: str
    size: int


class BlockLoss(NamedTuple):
    """A block records left: its size after and how many members it lost."""

    block: str
    size: int
    lost: int


class ObservedIdentifier(TypedDict):
    key: str
    kind: str
    value: str


class ObservingRecord(TypedDict):
    """``records_observing.cypher``: a record and everything it observed."""

    key: str
    source: str
    record_id: str
    observed_at: datetime
    identifiers: list[ObservedIdentifier]
    attributes: list[list[str]]


class StoredModel(TypedDict):
    """``active_model.cypher``: params is None when the caller holds that version."""

    version: str
    params: str | None
    method: str
    fitted_at: Any


class StoredOverride(TypedDict):
    """``get_override.cypher`` and the rows of ``all_overrides.cypher``."""

    override_id: str
    a: str
    b: str
    decision: str
    reason: str
    actor: str
    created_at: datetime


class LookupRow(TypedDict):
    """``lookup_identifier.cypher``."""

    kind: str
    value: str
    shared: bool | None
    shared_reason: str | None
    customer_id: str | None
    confidence: float | None


class CurrentCustomer(TypedDict):
    """``resolve_customer.cypher``: the id a customer lives on as now."""

    asked_status: str
    current_id: str
    current_status: str


class IdentifierRow(TypedDict):
    """``all_identifiers.cypher``."""

    key: str
    kind: str
    shared: bool | None
    customer_id: str | None


class LinkRow(TypedDict):
    """``all_links.cypher``: ``type`` is ``LINKED`` (seen together) or ``SIMILAR``."""

    a: str
    b: str
    p: float
    type: str


class ExportSubject(NamedTuple):
    """Whom a data-subject export is about (``export_subject.cypher``).

    ``identifiers`` are the customer's members and everything its records observed (a
    shared identifier among them); ``past_customer_ids`` are customers its members belonged
    to before (a split), whose events are exported where they name the person.
    """

    current_id: str
    status: str
    customer_ids: list[str]
    members: list[str]
    records: list[str]
    identifiers: list[str]
    past_customer_ids: list[str]


class StatementRow(TypedDict):
    """``consent_statements.cypher``: a record's consent statements (parallel lists) and
    the asked identifiers it observed."""

    key: str
    source: str
    record_id: str
    ingested_at: str | None
    identifiers: list[str]
    purposes: list[str]
    granted: list[bool]
    at: list[str]


# ---------------------------------------------------------------------- one transaction
class RecordUnit(Protocol):
    """Records, identifiers and the observations between them."""

    def fetch_records(self, keys: Sequence[str]) -> dict[str, StoredRecord]:
        """The records of ``keys`` that exist."""
        ...

    def delete_observations(self, record_keys: Sequence[str]) -> None: ...

    def upsert_records(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def upsert_identifiers(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Create or update identifiers; return the keys that did not exist before."""
        ...

    def create_observations(self, rows: Sequence[dict[str, str]]) -> None: ...

    def refresh_identifier_stats(self, keys: Sequence[str]) -> dict[str, int]:
        """key -> number of records still observing it."""
        ...

    def record_times(self, keys: Sequence[str]) -> dict[str, datetime]: ...

    def neighbour_kinds(self, keys: Sequence[str], min_degree: int) -> dict[str, NeighbourKinds]:
        """For identifiers that are shared now or have more than ``min_degree`` links."""
        ...

    def neighbours(self, keys: Sequence[str]) -> set[str]:
        """Every identifier linked to one of ``keys``."""
        ...

    def set_shared(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def delete_identifiers(self, keys: Sequence[str]) -> None: ...

    def lock_identifiers(self, keys: Sequence[str]) -> None: ...


class LinkUnit(Protocol):
    """Co-observation (``LINKED``) links."""

    def fetch_links(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], LinkSeen]:
        """The pairs that exist."""
        ...

    def upsert_links(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def delete_links(self, pairs: Sequence[tuple[str, str]]) -> None: ...


class CustomerUnit(Protocol):
    """Customers: the walk over joinable links, membership, locks and history events."""

    def customer_members(self, keys: Sequence[str]) -> dict[str, CustomerMembers]:
        """customer_id -> its members, for the customers of ``keys``."""
        ...

    def customer_members_of(self, customer_id: str) -> CurrentMembers | None: ...

    def lock_customers(self, ids: Sequence[str]) -> None: ...

    def lock_customers_of(self, keys: Sequence[str]) -> None:
        """Lock the customers of ``keys`` in id order (before the batch writes anything)."""
        ...

    def expand(
        self, keys: Sequence[str], threshold: float, read_customers: Sequence[str] | None = None
    ) -> list[tuple[str, bool, str | None, float | None, list[tuple[str, float]] | None]]:
        """(key, shared, customer_id, membership confidence, [(neighbour, p)]): the
        shape :class:`app.engine.explain.ExplainUnit` names too. With ``read_customers``
        given, an identifier whose customer is not among them comes back with links None
        (the walk reads that customer whole, links included)."""
        ...

    def expand_customers(
        self, ids: Sequence[str], threshold: float, lock: bool = True
    ) -> list[ExpandedCustomer]:
        """Lock customers (unless ``lock`` is False: a read transaction), then return them
        with their members' joinable links."""
        ...

    def clear_membership(self, keys: Sequence[str], now: str) -> None:
        """Drop current memberships, keeping them as history until ``now``."""
        ...

    def update_membership(self, rows: Sequence[dict[str, Any]]) -> None:
        """Set the membership confidence of identifiers that stay in their customer."""
        ...

    def upsert_customers(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def assign_members(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def retire_customers(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def create_events(self, rows: Sequence[dict[str, Any]], now: str) -> None: ...

    def customers_of(self, keys: Sequence[str]) -> dict[str, CustomerOf]: ...


class OverrideUnit(Protocol):
    """Analysts' must-link / cannot-link decisions."""

    def any_overrides(self) -> bool: ...

    def overrides_of(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """Overrides concerning ``keys``: override_id, a, b, decision, reason, actor."""
        ...

    def create_override(self, row: dict[str, Any], now: str) -> None: ...

    def delete_override(self, override_id: str) -> dict[str, Any] | None: ...

    def override_between(self, a: str, b: str) -> dict[str, Any] | None: ...


class ErasureUnit(Protocol):
    """Erasure: the keyed-hash key, scrubbing, suppression."""

    def erasure_secret(self, candidate: str) -> str:
        """The keyed-hash key kept in the graph (``candidate`` if none yet)."""
        ...

    def records_observing(self, keys: Sequence[str]) -> list[ObservingRecord]: ...

    def delete_overrides_of(self, keys: Sequence[str]) -> None: ...

    def delete_empty_records(self, keys: Sequence[str]) -> None: ...

    def scrub_text(self, pairs: Sequence[tuple[str, str]]) -> None: ...

    def suppress(self, hashes: Sequence[str], now: str) -> None: ...

    def any_suppressed(self) -> bool: ...

    def suppressed_among(self, hashes: Sequence[str]) -> set[str]: ...


class RetentionUnit(Protocol):
    """Retention: what has expired under a rule, in key order, a page at a time."""

    def records_by_key(self, keys: Sequence[str]) -> list[ObservingRecord]: ...

    def expired_records(self, source: str, cutoff: str, after: str, limit: int) -> list[str]:
        """Keys of records of ``source`` observed before ``cutoff``, after ``after``."""
        ...

    def expired_identifiers(self, kind: str, cutoff: str, after: str, limit: int) -> list[str]:
        """Keys of identifiers of ``kind`` last seen before ``cutoff``, after ``after``."""
        ...

    def count_expired(self, source: str | None, kind: str | None, cutoff: str) -> int:
        """How many records of ``source`` (or identifiers of ``kind``) are before ``cutoff``."""
        ...


class AttributeReader(Protocol):
    """The one read the attribute policies need (a write or a read transaction)."""

    def policy_attributes(
        self, keys: Sequence[str], fields: Sequence[str]
    ) -> list[tuple[str, str, str, str]]:
        """``(identifier key, record key, field, value)`` for every record observing one
        of ``keys`` that has the attribute ``field`` (stored as ``attr_<field>``)."""
        ...


class SimilarityUnit(AttributeReader, Protocol):
    """Look-alike evidence: blocks, match profiles and ``SIMILAR`` links."""

    def add_block_memberships(self, rows: Sequence[dict[str, str]]) -> list[BlockSize]:
        """Put records into blocks; the size after, per row."""
        ...

    def remove_block_memberships(self, keys: Sequence[str]) -> list[BlockLoss]:
        """Take records out of their blocks."""
        ...

    def block_members(self, blocks: Sequence[str], max_block: int | None) -> dict[str, list[str]]:
        """block -> member record keys, for blocks of at most ``max_block`` (None: any)."""
        ...

    def match_profiles(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """{key, observed_at, attributes, identifiers} per existing record."""
        ...

    def similar_of(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """SIMILAR links touching the identifiers: a, b, pairs, pair_probabilities,
        comparisons, first_seen, last_seen."""
        ...

    def similar_between(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """SIMILAR links on the given (a, b) pairs, same columns as :meth:`similar_of`."""
        ...

    def upsert_similar(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def delete_similar(self, pairs: Sequence[tuple[str, str]]) -> None: ...


class ModelUnit(Protocol):
    """The stored match model and the record pages it is fitted and re-matched over."""

    def active_model(self, known: str | None = None) -> StoredModel | None:
        """The stored match model, if any."""
        ...

    def store_model(self, version: str, params: str, method: str, now: str, pairs: int) -> None: ...

    def term_frequencies(self) -> list[tuple[str, int]]:
        """``(term block key, records holding the value)`` of every term block."""
        ...

    def record_keys_after(self, after: str, limit: int) -> list[str]:
        """Record keys after ``after`` in key order, at most ``limit``."""
        ...

    def count_records(self) -> int: ...


class ConsentUnit(Protocol):
    """Consent statements of records, and the per-customer summary history compares with."""

    def consent_statements(self, keys: Sequence[str]) -> list[StatementRow]:
        """The records observing any of ``keys`` that carry statements."""
        ...

    def consent_state(self, ids: Sequence[str]) -> dict[str, dict[str, bool]]:
        """customer id -> purpose -> granted, as last derived (customers with some)."""
        ...

    def set_consent_state(self, rows: Sequence[dict[str, Any]]) -> None:
        """Rows of {id, granted: [purposes], withdrawn: [purposes]}."""
        ...

    def customer_members_of(self, customer_id: str) -> CurrentMembers | None: ...


class ResolutionUnit(
    ConsentUnit,
    RecordUnit,
    LinkUnit,
    CustomerUnit,
    OverrideUnit,
    ErasureUnit,
    RetentionUnit,
    SimilarityUnit,
    ModelUnit,
    Protocol,
):
    """Reads and writes of one resolution transaction."""


# ---------------------------------------------------------------------- store level
class Transactions(Protocol):
    """Runs a unit of work in one managed transaction (retried on transient errors)."""

    def in_write_transaction(self, work: Callable[[ResolutionUnit], T]) -> T: ...

    def in_read_transaction(self, work: Callable[[ResolutionUnit], T]) -> T: ...


class LookupStore(Protocol):
    """The lookup hot path: one index seek per call."""

    def lookup(self, key: str) -> LookupRow | None: ...

    async def lookup_async(self, key: str) -> LookupRow | None: ...


class CustomerStore(Protocol):
    """Profiles, history, time travel and lineage of customers (rows of the
    ``customer_*.cypher`` queries, nested maps of records and identifiers)."""

    def profile(self, customer_id: str) -> dict[str, Any] | None: ...

    def resolve_customer(self, customer_id: str) -> CurrentCustomer | None: ...

    def history(self, customer_id: str, offset: int, limit: int) -> list[dict[str, Any]]: ...

    def as_of(self, customer_id: str, at: str) -> dict[str, Any] | None: ...

    def lineage(
        self, customer_id: str, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]: ...


class OverrideStore(Transactions, Protocol):
    """Overrides are written in resolution transactions and read one at a time."""

    def get_override(self, override_id: str) -> StoredOverride | None: ...


class GraphScan(Transactions, Protocol):
    """The whole graph, page by page (``idgraph recluster``)."""

    def iter_identifiers(self) -> Iterator[IdentifierRow]: ...

    def links_between(self, after: str, upto: str) -> list[LinkRow]: ...

    def all_overrides(self) -> list[dict[str, Any]]:
        """Rows as :class:`StoredOverride` (the clustering takes them as maps)."""
        ...


class ExportStore(Protocol):
    """Everything stored about one person (``app.store.export.Neo4jExportStore``)."""

    def export(
        self, customer_id: str, sections: Sequence[str]
    ) -> tuple[ExportSubject, dict[str, list[dict[str, Any]]]] | None:
        """The subject and the rows of each ``export_<section>`` query; None if unknown."""
        ...


class FeedStore(Protocol):
    """The change feed (``app.store.changes.Neo4jFeedStore``)."""

    def events_after(self, after: int, limit: int) -> list[dict[str, Any]]: ...

    def head(self) -> int: ...


class FeedHead(Protocol):
    def head(self) -> int: ...


class SubscriptionStore(Protocol):
    """Webhook subscriptions (``app.store.webhooks.Neo4jWebhookStore``)."""

    def create(self, row: dict[str, Any]) -> None: ...

    def status(self, webhook_id: str | None = None) -> list[dict[str, Any]]: ...

    def delete(self, webhook_id: str) -> bool: ...


class DeliveryStore(Protocol):
    """Webhook delivery: leases, cursors, failures (``Neo4jWebhookStore``)."""

    def ids(self) -> list[str]: ...

    def lease(self, webhook_id: str, owner: str, seconds: float) -> dict[str, Any] | None: ...

    def advance(
        self, webhook_id: str, owner: str, sequence: int, delivered: int, seconds: float
    ) -> bool: ...

    def fail(self, webhook_id: str, owner: str, error: str, delay: float) -> int | None: ...

    def release(self, owner: str) -> int: ...


class AuditRow(TypedDict):
    """An audit entry as stored (``cypher/queries/audit_*.cypher``): ``at`` an ISO string,
    ``counts`` a JSON object (Neo4j properties hold no maps)."""

    audit_id: str
    at: str
    channel: str
    actor: str
    role: str | None
    action: str
    route: str | None
    targets: list[str]
    counts: str
    outcome: str
    status: int | None
    request_id: str | None
    duration_ms: float | None


class AuditStore(Protocol):
    """The audit log (``app.store.audit.Neo4jAuditStore``)."""

    def record(self, row: AuditRow) -> None: ...

    async def record_async(self, row: AuditRow) -> None: ...

    def page(self, params: dict[str, Any]) -> list[AuditRow]:
        """Entries with ids in ``[floor, before)`` passing the filters, newest first."""
        ...
