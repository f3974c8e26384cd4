"""Validate, normalise and resolve batches of source records."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

from app.core.collector import full_collections_paused
from app.core.errors import FieldError, InvalidInputError, RecordRef
from app.engine.core import Engine
from app.engine.ports import ResolutionUnit, Transactions
from app.privacy.suppression import Suppression
from graph_models.customers import RecordResult
from graph_models.records import NormalisedRecord, SourceRecord


class IngestService:
    """One batch, one transaction: evidence written, customers re-evaluated, history kept.

    Args:
        store: runs each batch in one write transaction.
        engine: normaliser, resolver and the active match model.
        suppression: erased identifiers to drop from incoming records.
    """

    def __init__(self, store: Transactions, engine: Engine, suppression: Suppression) -> None:
        self.store = store
        self.engine = engine
        self.suppression = suppression

    def normalise(self, records: Sequence[SourceRecord]) -> list[NormalisedRecord]:
        """Normalise a batch, or raise naming every bad record and field (nothing stored)."""
        max_batch_size = self.engine.settings.max_batch_size
        if len(records) > max_batch_size:
            raise InvalidInputError(
                "batch too large",
                [
                    FieldError(
                        ("records",),
                        f"at most {max_batch_size} records per batch (got {len(records)}); "
                        "split the batch or raise IDGRAPH_MAX_BATCH_SIZE",
                        "too_long",
                    )
                ],
            )
        errors: list[FieldError] = []
        normalised = []
        for index, record in enumerate(records):
            try:
                normalised.append(self.engine.normaliser.record(record))
            except InvalidInputError as exc:
                ref = RecordRef(index, record.source, record.record_id)
                errors += [dataclasses.replace(e, record=ref) for e in exc.errors]
        if errors:
            raise InvalidInputError(f"{len(errors)} invalid field(s) in the batch", errors)
        return normalised

    def ingest(self, records: Sequence[SourceRecord]) -> list[RecordResult]:
        """Validate, normalise and resolve one batch in one transaction."""
        with full_collections_paused():
            return self.resolve(self.normalise(records))

    def resolve(self, normalised: Sequence[NormalisedRecord]) -> list[RecordResult]:
        """Resolve records already normalised (and validated) in one transaction; erased
        identifiers are dropped as from any batch."""
        if not normalised:
            return []
        now = datetime.now(UTC)

        def work(unit: ResolutionUnit) -> list[RecordResult]:
            return self.engine.resolver.ingest(
                unit,
                self.suppression.without_suppressed(unit, list(normalised)),
                now,
                self.engine.match_model(unit),
            )

        # no full garbage collection inside the transaction (app.core.collector)
        with full_collections_paused():
            return self.store.in_write_transaction(work)
