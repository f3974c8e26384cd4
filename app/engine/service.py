"""IdentityService: what the API and the CLI call. Normalises, resolves, shapes answers."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from app.core.config import Settings
from app.core.errors import (
    ConflictError,
    InvalidIdentifierError,
    InvalidInputError,
    NotFoundError,
)
from app.engine.clustering import AttributePolicy, KindPolicy, node_attributes
from app.engine.matching import (
    MatchModel,
    MatchProfile,
    TermFrequencies,
    candidate_pairs,
    compare,
    default_model,
    fit_labelled,
    fit_unsupervised,
    profile_of,
)
from app.engine.normalize import Normaliser, content_hash
from app.engine.ports import AttributeReader, ResolutionUnit
from app.engine.recluster import ReclusterReport, differing_regions, partition_graph
from app.engine.resolver import (
    ResolutionConfig,
    Resolver,
    new_event_id,
    override_rule_name,
)
from app.engine.scoring import ScoringConfig
from app.engine.similarity import MatchingConfig
from graph_models.customers import (
    Change,
    ChangeType,
    CustomerHistory,
    CustomerLineage,
    CustomerProfile,
    ErasureReport,
    Explanation,
    HistoryEvent,
    IdentifierView,
    LineageLink,
    LineageRecord,
    LineageSource,
    LookupResult,
    Membership,
    Override,
    OverrideRequest,
    RecordResult,
    record_pairs_of,
)
from graph_models.identifiers import Identifier, identifier_key
from graph_models.records import NormalisedRecord, SourceRecord

T = TypeVar("T")

#: Survivorship: most recent value wins; on a tie the earlier source in this list wins.
DEFAULT_SOURCE_PRIORITY = ("crm", "orders", "callcentre", "web")


class IdentityStore(Protocol):
    """The storage the service needs (implemented by :class:`app.store.GraphStore`)."""

    def in_write_transaction(self, work: Callable[[ResolutionUnit], T]) -> T: ...

    def lookup(self, key: str) -> dict[str, Any] | None: ...

    async def lookup_async(self, key: str) -> dict[str, Any] | None: ...

    def profile(self, customer_id: str) -> dict[str, Any] | None: ...

    def iter_identifiers(self) -> Iterator[dict[str, Any]]: ...

    def resolve_customer(self, customer_id: str) -> dict[str, Any] | None: ...

    def all_overrides(self) -> list[dict[str, Any]]: ...

    def in_read_transaction(self, work: Callable[[Any], T]) -> T: ...

    def get_override(self, override_id: str) -> dict[str, Any] | None: ...

    def history(self, customer_id: str, offset: int, limit: int) -> list[dict[str, Any]]: ...

    def as_of(self, customer_id: str, at: str) -> dict[str, Any] | None: ...

    def lineage(
        self, customer_id: str, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]: ...

    def links_between(self, after: str, upto: str) -> list[dict[str, Any]]: ...


def _record_keys_after(unit: ResolutionUnit, after: str, limit: int) -> list[str]:
    return unit.record_keys_after(after, limit)


def resolution_config(settings: Settings) -> ResolutionConfig:
    """The engine's configuration from the ``IDGRAPH_*`` settings."""
    defaults = ResolutionConfig()
    scoring = defaults.scoring
    if settings.kind_strength:
        scoring = ScoringConfig(kind_strength={**scoring.kind_strength, **settings.kind_strength})
    return ResolutionConfig(
        scoring=scoring,
        policies=tuple(KindPolicy(**policy) for policy in settings.kind_policies),
        threshold=settings.join_threshold,
        shared_limits=settings.shared_limits or defaults.shared_limits,
        matching=MatchingConfig(
            enabled=settings.matching_enabled,
            max_block=settings.match_max_block,
            min_probability=settings.match_min_probability,
        ),
        attribute_policies=tuple(
            AttributePolicy(**policy) for policy in settings.attribute_policies
        )
        + tuple(AttributePolicy.once(source) for source in settings.one_record_per_person_sources),
    )


class IdentityService:
    """Identity resolution over a store.

    Args:
        store: where the graph lives.
        settings: normalisation region, extra kinds, batch limit, threshold.
    """

    def __init__(self, store: IdentityStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.normaliser = Normaliser(
            settings.default_region,
            settings.extra_kinds,
            settings.global_account_sources,
            record_identifiers=settings.matching_enabled,
        )
        self.resolver = Resolver(resolution_config(settings))
        self._model: MatchModel = default_model()

    def match_model(self, unit: ResolutionUnit) -> MatchModel | None:
        """The model similarity evidence is scored with: the one stored in the graph
        (``idgraph model fit``), else the built-in default; None when matching is off.
        Read in every write transaction so all API replicas score alike."""
        if not self.settings.matching_enabled:
            return None
        stored = unit.active_model(self._model.version)
        if stored is None:
            if self._model.method != "default":
                self._model = default_model()
            return self._model
        if stored["version"] != self._model.version:
            # only a new version carries its params (term frequencies make them large)
            self._model = MatchModel.from_json(stored["params"])
        return self._model

    def normalise(self, records: Sequence[SourceRecord]) -> list[NormalisedRecord]:
        """Normalise a batch, or raise naming every bad record and field (nothing stored)."""
        if len(records) > self.settings.max_batch_size:
            raise InvalidInputError(
                "batch too large",
                [
                    {
                        "loc": ["body", "records"],
                        "msg": f"at most {self.settings.max_batch_size} records per batch "
                        f"(got {len(records)}); split the batch or raise "
                        "IDGRAPH_MAX_BATCH_SIZE",
                        "type": "too_long",
                    }
                ],
            )
        errors: list[dict[str, object]] = []
        normalised = []
        for index, record in enumerate(records):
            try:
                normalised.append(self.normaliser.record(record))
            except InvalidInputError as exc:
                for error in exc.errors:
                    loc = error.get("loc", [])
                    errors.append(
                        {
                            **error,
                            "loc": ["body", "records", index, *loc],  # type: ignore[misc]
                            "record": {"source": record.source, "record_id": record.record_id},
                        }
                    )
        if errors:
            raise InvalidInputError(f"{len(errors)} invalid field(s) in the batch", errors)
        return normalised

    def ingest(self, records: Sequence[SourceRecord]) -> list[RecordResult]:
        """Validate, normalise and resolve one batch in one transaction."""
        normalised = self.normalise(records)
        if not normalised:
            return []
        now = datetime.now(UTC)

        def work(unit: ResolutionUnit) -> list[RecordResult]:
            return self.resolver.ingest(
                unit, self._without_suppressed(unit, normalised), now, self.match_model(unit)
            )

        return self.store.in_write_transaction(work)

    # ------------------------------------------------------------------ erasure
    def _secret(self, unit: ResolutionUnit) -> bytes:
        if self.settings.erasure_key:
            return self.settings.erasure_key.encode()
        return unit.erasure_secret(secrets.token_hex(32)).encode()

    @staticmethod
    def keyed_hash(secret: bytes, key: str) -> str:
        """The keyed hash (HMAC-SHA256) that stands in for an erased identifier key."""
        return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()

    def _without_suppressed(
        self, unit: ResolutionUnit, records: list[NormalisedRecord]
    ) -> list[NormalisedRecord]:
        """Drop erased-and-suppressed identifiers from incoming records."""
        if not self.settings.erasure_suppression or not unit.any_suppressed():
            return records
        secret = self._secret(unit)
        hashed = {i.key: self.keyed_hash(secret, i.key) for r in records for i in r.identifiers}
        blocked = unit.suppressed_among(sorted(set(hashed.values())))
        if not blocked:
            return records
        kept = []
        for record in records:
            identifiers = tuple(i for i in record.identifiers if hashed[i.key] not in blocked)
            if len(identifiers) != len(record.identifiers):
                record = record.model_copy(
                    update={
                        "identifiers": identifiers,
                        "content_hash": content_hash(
                            record.observed_at.isoformat(), identifiers, record.attributes
                        ),
                    }
                )
            kept.append(record)
        return kept

    def erase_identifier(self, kind: str, value: str) -> ErasureReport:
        """Erase one identifier (normalised as in lookups) and the evidence built from it."""
        key = self.identifier_key(kind, value)
        return self._erase(lambda unit: [key] if unit.customers_of([key]) else None, key)

    def erase_customer(self, customer_id: str) -> ErasureReport:
        """Erase every identifier of a customer (a merged-away id erases its survivor)."""

        def members(unit: ResolutionUnit) -> list[str] | None:
            found = unit.customer_members_of(customer_id)
            return found[1] if found else None

        return self._erase(members, customer_id)

    def _erase(
        self, select: Callable[[ResolutionUnit], list[str] | None], subject: str
    ) -> ErasureReport:
        now = datetime.now(UTC)

        def work(unit: ResolutionUnit) -> ErasureReport:
            keys = select(unit)
            if keys is None:
                raise NotFoundError(f"nothing to erase: {subject} is not in the graph")
            secret = self._secret(unit)
            hashes = {k: self.keyed_hash(secret, k) for k in keys}
            before = {c for c, _ in unit.customers_of(keys).values() if c}
            unit.delete_overrides_of(keys)
            erased = set(keys)
            scrubbed = []
            for row in unit.records_observing(keys):
                remaining = tuple(
                    Identifier(kind=i["kind"], value=i["value"])
                    for i in sorted(row["identifiers"], key=lambda i: i["key"])
                    if i["key"] not in erased
                )
                scrubbed.append(
                    NormalisedRecord(
                        source=row["source"],
                        record_id=row["record_id"],
                        observed_at=row["observed_at"],
                        identifiers=remaining,
                        attributes={},
                        content_hash=content_hash(row["observed_at"].isoformat(), remaining, {}),
                    )
                )
            results = (
                self.resolver.ingest(unit, scrubbed, now, self.match_model(unit))
                if scrubbed
                else []
            )
            empty = [r.key for r in scrubbed if not r.identifiers]
            if empty:
                unit.delete_empty_records(empty)
            unit.scrub_text([(k, f"[erased {h[:16]}]") for k, h in sorted(hashes.items())])
            if self.settings.erasure_suppression:
                unit.suppress(sorted(hashes.values()), now.isoformat())
            subject_hash = self.keyed_hash(secret, subject)
            event = Change(
                type=ChangeType.ERASED,
                customer_id=sorted(before)[0] if before else "",
                before=sorted(before),
                after=[],
                reason=f"erased {len(keys)} identifier(s) on request (subject "
                f"{subject_hash[:16]}); suppression "
                f"{'on' if self.settings.erasure_suppression else 'off'}",
            )
            if before:
                unit.create_events(
                    [{"event_id": new_event_id(), **event.model_dump(mode="json")}],
                    now.isoformat(),
                )
            changes = {c.model_dump_json(): c for r in results for c in r.changes}
            for change in changes.values():
                for key, digest in hashes.items():
                    change.reason = change.reason.replace(key, f"[erased {digest[:16]}]")
            return ErasureReport(
                subject=subject_hash,
                identifiers_erased=len(keys),
                records_scrubbed=len(scrubbed) - len(empty),
                records_deleted=len(empty),
                suppressed=self.settings.erasure_suppression,
                customers_affected=sorted(before),
                changes=[*changes.values(), event],
            )

        return self.store.in_write_transaction(work)

    def recluster(
        self, dry_run: bool = False, progress: Callable[[str], None] | None = None
    ) -> ReclusterReport:
        """Re-cluster the whole graph from scratch and repair what differs.

        Reads every identifier and link, computes the reference partition with the same
        clustering as the incremental path, and rewrites only the regions whose stored
        customers or shared flags differ (none, when incremental resolution is correct).
        """
        say = progress or (lambda _: None)
        kinds: dict[str, str] = {}
        stored_shared: dict[str, bool] = {}
        customer_of: dict[str, str | None] = {}
        for row in self.store.iter_identifiers():
            kinds[row["key"]] = row["kind"]
            stored_shared[row["key"]] = bool(row["shared"])
            customer_of[row["key"]] = row["customer_id"]
        say(f"read {len(kinds)} identifiers")
        links: dict[tuple[str, str], float] = {}
        similar: dict[tuple[str, str], float] = {}
        ordered = sorted(kinds)
        for start in range(0, len(ordered), 20_000):
            after = ordered[start - 1] if start else ""
            upto = ordered[min(start + 20_000, len(ordered)) - 1]
            for row in self.store.links_between(after, upto):
                target = similar if row["type"] == "SIMILAR" else links
                target[(row["a"], row["b"])] = row["p"]
        say(f"read {len(links)} links and {len(similar)} similarity links")
        policies = self.resolver.config.attribute_policies
        fields = sorted({name for policy in policies for name in policy.fields})

        def read(unit: AttributeReader, page: list[str]) -> list[tuple[str, str, str, str]]:
            return unit.policy_attributes(page, fields)

        def observed() -> Iterator[tuple[str, str, str, str]]:
            for start in range(0, len(ordered) if fields else 0, 20_000):
                page = ordered[start : start + 20_000]
                yield from self.store.in_read_transaction(partial(read, page=page))

        attributes = node_attributes(observed(), policies)
        say(f"read the attributes the attribute policies check of {len(attributes)} identifiers")
        reference = partition_graph(
            kinds, links, self.resolver.config, self.store.all_overrides(), similar, attributes
        )
        regions = differing_regions(reference, stored_shared, customer_of)
        differing = sum(len(r) for r in regions)
        if not dry_run:
            now = datetime.now(UTC)
            for region in regions:
                flips = [
                    {"key": k, "shared": reference.shared[k], "reason": "recluster"}
                    for k in sorted(region)
                    if k in reference.shared and reference.shared[k] != stored_shared.get(k)
                ]

                def work(
                    unit: ResolutionUnit,
                    region: set[str] = region,
                    flips: list[dict[str, Any]] = flips,
                ) -> list[Change]:
                    if flips:
                        unit.set_shared(flips)
                    return self.resolver.reevaluate(unit, region, now).changes

                self.store.in_write_transaction(work)
        return ReclusterReport(
            identifiers=len(kinds),
            links=len(links) + len(similar),
            customers=len(reference.clustering.groups),
            shared=sum(reference.shared.values()),
            differing_identifiers=differing,
            regions_rewritten=0 if dry_run else len(regions),
        )

    # ------------------------------------------------------------------ matching model
    def iter_profiles(self, page: int = 2000) -> Iterator[MatchProfile]:
        """Every stored record with enough attributes to match on, in key order."""

        def read(unit: ResolutionUnit, after: str) -> tuple[list[str], list[dict[str, Any]]]:
            keys = unit.record_keys_after(after, page)
            return keys, unit.match_profiles(keys) if keys else []

        after = ""
        while True:
            keys, rows = self.store.in_read_transaction(partial(read, after=after))
            for row in rows:
                profile = profile_of(row["key"], row["attributes"], row["identifiers"])
                if profile is not None:
                    yield profile
            if len(keys) < page:
                return
            after = keys[-1]

    def fit_model(
        self, labels: Callable[[str, str], bool] | None = None, store: bool = True
    ) -> tuple[MatchModel, int]:
        """Estimate the match model from the records in the graph and make it active.

        Candidate pairs come from the same blocking as live matching. Without labels the
        model is fitted as Splink does (:func:`app.engine.matching.fit_unsupervised`): u
        from random record pairs, m and the prior by expectation-maximisation over the
        candidate pairs, and the term frequencies counted in the graph frozen into it;
        with ``labels(record_a, record_b) -> same person?`` m and u are counted.

        Returns:
            The model and the number of candidate pairs it was fitted on.
        """
        profiles = list(self.iter_profiles())
        pairs = candidate_pairs(profiles, self.settings.match_max_block)
        gammas = [compare(a, b) for a, b in pairs]
        if not gammas:
            raise InvalidInputError(
                "no candidate record pairs to fit a match model on: ingest records with attributes "
                "first (names, birth dates, postcodes, addresses)",
                [
                    {
                        "loc": ["records"],
                        "msg": "ingest records with attributes first",
                        "type": "missing",
                    }
                ],
            )
        if labels is not None:
            model = fit_labelled(gammas, [labels(a.key, b.key) for a, b in pairs])
        else:
            rows = self.store.in_read_transaction(lambda unit: unit.term_frequencies())
            start = dataclasses.replace(
                default_model(), frequencies=TermFrequencies.from_blocks(rows)
            )
            model = fit_unsupervised(profiles, gammas, start)
        if store:
            self.set_model(model, len(gammas))
        return model, len(gammas)

    def set_model(self, model: MatchModel, pairs: int = 0) -> None:
        """Make ``model`` the active one (fitted here, or set by hand from its JSON)."""
        now = datetime.now(UTC).isoformat()
        self.store.in_write_transaction(
            lambda unit: unit.store_model(model.version, model.to_json(), model.method, now, pairs)
        )

    def match_model_now(self) -> MatchModel:
        """The active model (stored or default), read in its own transaction."""
        model = self.store.in_read_transaction(self.match_model)
        return model or default_model()

    def rematch(
        self, page: int = 500, progress: Callable[[int], None] | None = None
    ) -> tuple[int, list[Change]]:
        """Re-score every record's similarity evidence with the active model, page by page,
        re-evaluating the customers whose links changed. Returns (records, changes)."""
        done = 0
        changes: list[Change] = []
        after = ""
        while True:
            keys: list[str] = self.store.in_read_transaction(
                partial(_record_keys_after, after=after, limit=page)
            )
            if not keys:
                break
            now = datetime.now(UTC)

            def work(
                unit: ResolutionUnit, keys: list[str] = keys, now: datetime = now
            ) -> list[Change]:
                model = self.match_model(unit)
                return self.resolver.rematch(unit, keys, now, model) if model else []

            changes.extend(self.store.in_write_transaction(work))
            done += len(keys)
            if progress:
                progress(done)
            after = keys[-1]
        return done, changes

    def parse_ref(self, ref: str, field: str, where: str = "body") -> str:
        """``kind:value`` -> the normalised identifier key; errors name ``[where, field]``."""
        kind, sep, value = ref.partition(":")
        loc = [where, field]
        if not sep or not kind or not value:
            raise InvalidInputError(
                f"{field} must look like kind:value",
                [
                    {
                        "loc": loc,
                        "msg": "expected kind:value, e.g. email:jane@example.com",
                        "type": "value_error",
                    }
                ],
            )
        try:
            return self.identifier_key(kind, value)
        except InvalidIdentifierError as exc:
            raise InvalidInputError(
                exc.message, [{"loc": loc, "msg": exc.message, "type": "invalid_identifier"}]
            ) from None

    def explain(self, a: str, b: str) -> Explanation:
        """Why ``a`` and ``b`` (``kind:value``, normalised as lookups) are or are not one
        customer, from the stored evidence."""
        from app.engine.explain import Explainer

        key_a, key_b = self.parse_ref(a, "a", "query"), self.parse_ref(b, "b", "query")
        return Explainer(self.store, self.resolver.config).explain(key_a, key_b)

    def add_override(self, request: OverrideRequest) -> Override:
        """Store an analyst's same/different decision and apply it at once."""
        a, b = self.parse_ref(request.a, "a"), self.parse_ref(request.b, "b")
        if a == b:
            raise InvalidInputError(
                "a and b are the same identifier",
                [{"loc": ["b"], "msg": "must differ from a", "type": "value_error"}],
            )
        override_id = f"O-{uuid.uuid4().hex[:16]}"
        now = datetime.now(UTC)
        row = {
            "override_id": override_id,
            "a": a,
            "b": b,
            "decision": request.decision.value,
            "reason": request.reason,
            "actor": request.actor,
        }

        def work(unit: ResolutionUnit) -> Override:
            for key, field in ((a, "a"), (b, "b")):
                if not unit.customers_of([key]):
                    raise NotFoundError(f"{field}: no identifier {key} in the graph")
            existing = unit.override_between(a, b)
            if existing is not None:
                raise ConflictError(
                    f"override {existing['override_id']} ({existing['decision']}) already "
                    f"concerns {a} and {b}; DELETE it first"
                )
            before = unit.customers_of([a, b])
            unit.create_override(row, now.isoformat())
            return self._apply_override(unit, row, before, now, ChangeType.OVERRIDE)

        return self.store.in_write_transaction(work)

    def remove_override(self, override_id: str) -> Override:
        """Undo an override; the customers it shaped are re-evaluated at once."""
        now = datetime.now(UTC)

        def work(unit: ResolutionUnit) -> Override:
            row = unit.delete_override(override_id)
            if row is None:
                raise NotFoundError(f"no override {override_id}")
            before = unit.customers_of([row["a"], row["b"]])
            return self._apply_override(unit, row, before, now, ChangeType.OVERRIDE_REMOVED)

        return self.store.in_write_transaction(work)

    def get_override(self, override_id: str) -> Override:
        row = self.store.get_override(override_id)
        if row is None:
            raise NotFoundError(f"no override {override_id}")
        return Override(**row)

    def _apply_override(
        self,
        unit: ResolutionUnit,
        row: dict[str, Any],
        before: dict[str, tuple[str | None, float | None]],
        now: datetime,
        kind: ChangeType,
    ) -> Override:
        a, b = row["a"], row["b"]
        assignment = self.resolver.reevaluate(unit, {a, b}, now)
        after = unit.customers_of([a, b])
        ids_before = sorted({c for c, _ in before.values() if c})
        ids_after = sorted({c for c, _ in after.values() if c})
        reason = override_rule_name(row)
        if kind is ChangeType.OVERRIDE_REMOVED:
            reason = "removed " + reason
        event = Change(
            type=kind,
            customer_id=after[a][0] or (ids_after[0] if ids_after else ""),
            before=ids_before,
            after=ids_after,
            reason=reason,
        )
        if ids_after:
            unit.create_events(
                [{"event_id": new_event_id(), **event.model_dump(mode="json")}],
                now.isoformat(),
            )
        return Override(
            **{k: row[k] for k in ("override_id", "a", "b", "decision", "reason", "actor")},
            created_at=row.get("created_at") or now,
            customer_a=after[a][0],
            customer_b=after[b][0],
            changes=[*assignment.changes, event],
        )

    def identifier_key(self, kind: str, value: str, source: str | None = None) -> str:
        ident = self.normaliser.identifier(kind, value, source)
        return identifier_key(ident.kind, ident.value)

    def lookup(self, kind: str, value: str, source: str | None = None) -> LookupResult:
        """Which customer an identifier belongs to (normalised as at ingestion)."""
        key = self.identifier_key(kind, value, source)
        return self._lookup_result(key, self.store.lookup(key))

    async def lookup_async(self, kind: str, value: str, source: str | None = None) -> LookupResult:
        """:meth:`lookup` for the API's event loop."""
        key = self.identifier_key(kind, value, source)
        return self._lookup_result(key, await self.store.lookup_async(key))

    @staticmethod
    def _lookup_result(key: str, row: dict[str, Any] | None) -> LookupResult:
        if row is None:
            raise NotFoundError(f"no identifier {key} in the graph")
        return LookupResult(
            customer_id=row["customer_id"],
            confidence=row["confidence"],
            identifier=IdentifierView(kind=row["kind"], value=row["value"]),
            shared=bool(row["shared"]),
            shared_reason=row["shared_reason"],
        )

    def profile(self, customer_id: str) -> CustomerProfile:
        """A customer's profile; an id merged away answers with the survivor's profile."""
        row = self.store.profile(customer_id)
        if row is None:
            raise NotFoundError(f"no customer {customer_id}")
        customer = row["customer"]
        records = row["records"]
        attributes, attribute_sources = golden_attributes(records)
        identifiers = [
            Membership(
                kind=i["kind"],
                value=i["value"],
                membership_confidence=i["confidence"],
                first_seen=i["first_seen"],
                last_seen=i["last_seen"],
                sources=sorted(i["sources"] or []),
            )
            for i in sorted(row["identifiers"], key=lambda i: (i["kind"], i["value"]))
        ]
        identifiers += [
            Membership(
                kind=s["kind"],
                value=s["value"],
                membership_confidence=0.0,
                shared=True,
                shared_reason=s["shared_reason"],
            )
            for s in sorted(row["shared"], key=lambda s: (s["kind"], s["value"]))
        ]
        merged = row["requested_status"] == "merged"
        return CustomerProfile(
            customer_id=customer_id,
            status="merged" if merged else customer.get("status", "active"),
            merged_into=customer["customer_id"] if merged else None,
            confidence=customer.get("confidence"),
            identifiers=identifiers,
            attributes=attributes,
            attribute_sources=attribute_sources,
            sources=sorted({r["source"] for r in records}),
            record_count=len(records),
            created_at=customer.get("created_at"),
            updated_at=customer.get("updated_at"),
        )


class CustomerReads:
    """History, time travel and lineage of customers (read-only)."""

    def __init__(self, store: IdentityStore) -> None:
        self.store = store

    def _current(self, customer_id: str) -> dict[str, Any]:
        row = self.store.resolve_customer(customer_id)
        if row is None:
            raise NotFoundError(f"no customer {customer_id}")
        return row

    def history(self, customer_id: str, offset: int = 0, limit: int = 100) -> CustomerHistory:
        """Events about the customer and every id merged into it, oldest first."""
        current = self._current(customer_id)
        rows = self.store.history(customer_id, offset, limit)
        return CustomerHistory(
            customer_id=customer_id,
            current_id=current["current_id"],
            current_status=current["current_status"],
            events=[HistoryEvent(**{k: r[k] for k in HistoryEvent.model_fields}) for r in rows],
            offset=offset,
            limit=limit,
        )

    def as_of(self, customer_id: str, at: datetime) -> CustomerProfile:
        """The customer as it stood at ``at``, from the stored membership history.

        Identifiers are those that belonged to it then (membership confidence as then),
        attributes come from the records of those identifiers ingested by then; the
        customer confidence of that time is not kept, so it is None.
        """
        self._current(customer_id)
        row = self.store.as_of(customer_id, at.isoformat())
        if row is None or not row["exists_then"]:
            raise NotFoundError(f"customer {customer_id} did not exist at {at.isoformat()}")
        attributes, attribute_sources = golden_attributes(row["records"])
        return CustomerProfile(
            customer_id=customer_id,
            status="merged" if row["merged_into"] else "active",
            merged_into=row["merged_into"],
            confidence=None,
            identifiers=[
                Membership(
                    kind=i["kind"],
                    value=i["value"],
                    membership_confidence=i["confidence"] or 0.0,
                    first_seen=i["first_seen"],
                    sources=sorted(i["sources"] or []),
                )
                for i in sorted(row["identifiers"], key=lambda i: (i["kind"], i["value"]))
            ],
            attributes=attributes,
            attribute_sources=attribute_sources,
            sources=sorted({r["source"] for r in row["records"]}),
            record_count=len(row["records"]),
            created_at=row["customer"]["created_at"],
        )

    def lineage(self, customer_id: str, offset: int = 0, limit: int = 100) -> CustomerLineage:
        """Records that built the customer (by source, in time order) and its links, paged."""
        current = self._current(customer_id)
        active = current["current_id"]
        records, links = self.store.lineage(active, offset, limit)
        by_source: dict[str, list[LineageRecord]] = {}
        for r in records:
            by_source.setdefault(r["source"], []).append(
                LineageRecord(**{k: r[k] for k in LineageRecord.model_fields})
            )
        return CustomerLineage(
            customer_id=active,
            sources=[LineageSource(source=s, records=rs) for s, rs in by_source.items()],
            links=[
                LineageLink(
                    **{k: x[k] for k in LineageLink.model_fields if k != "record_pairs"},
                    record_pairs=record_pairs_of(
                        x.get("pairs"), x.get("pair_probabilities"), x.get("comparisons")
                    ),
                )
                for x in links
            ],
            total_records=records[0]["total"] if records else 0,
            total_links=links[0]["total"] if links else 0,
            offset=offset,
            limit=limit,
        )


def golden_attributes(
    records: list[dict[str, Any]], priority: Sequence[str] = DEFAULT_SOURCE_PRIORITY
) -> tuple[dict[str, str], dict[str, str]]:
    """Survivorship: per attribute, the most recently observed value wins; on equal times
    the source earlier in ``priority`` wins, then the smaller record key.

    Returns the chosen values and, per attribute, the record key it came from.
    """
    rank = {source: i for i, source in enumerate(priority)}

    def beats(a: dict[str, Any], b: dict[str, Any]) -> bool:
        if a["observed_at"] != b["observed_at"]:
            return bool(a["observed_at"] > b["observed_at"])
        ra, rb = rank.get(a["source"], len(rank)), rank.get(b["source"], len(rank))
        if ra != rb:
            return ra < rb
        return bool(a["key"] < b["key"])

    best: dict[str, tuple[dict[str, Any], str]] = {}
    for record in records:
        for prop, value in record.items():
            if not prop.startswith("attr_"):
                continue
            name = prop[len("attr_") :]
            if name not in best or beats(record, best[name][0]):
                best[name] = (record, value)
    return (
        {name: value for name, (_, value) in sorted(best.items())},
        {name: record["key"] for name, (record, _) in sorted(best.items())},
    )


__all__ = ["IdentityService", "InvalidIdentifierError", "golden_attributes"]
