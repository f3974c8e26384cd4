"""Consent per purpose: statements for an identifier, a customer's consent, lookups for a
purpose that show nothing the purpose has no consent for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from app.core.errors import FieldError, InvalidInputError, NotFoundError
from app.engine.core import Engine
from app.engine.normalize import content_hash
from app.engine.ports import LookupStore, ResolutionUnit, Transactions
from app.ingest.service import IngestService
from app.privacy.consent.rules import derive, from_rows
from app.privacy.suppression import Suppression, keyed_hash
from app.reads.lookup import LookupService
from graph_models.consent import (
    ConsentBasis,
    ConsentReceipt,
    ConsentRequest,
    ConsentStatement,
    CustomerConsent,
    PurposeConsent,
    statement_problems,
)
from graph_models.customers import LookupResult
from graph_models.identifiers import Identifier
from graph_models.records import NormalisedRecord


class ConsentStore(Transactions, LookupStore, Protocol):
    """Statements are read in one read transaction; identifiers looked up by key."""


class ConsentService:
    """Records statements and answers what a customer consented to.

    Args:
        store: transactions and the identifier lookup.
        engine: normaliser and the consent settings.
        ingestion: the ingest path every statement is stored through.
        lookups: identifier -> customer.
        suppression: the erasure key, which keys the ids of statements sent without one.
    """

    def __init__(
        self,
        store: ConsentStore,
        engine: Engine,
        ingestion: IngestService,
        lookups: LookupService,
        suppression: Suppression,
    ) -> None:
        self.store = store
        self.engine = engine
        self.ingestion = ingestion
        self.lookups = lookups
        self.suppression = suppression
        self.purposes = list(engine.settings.consent_purposes)
        self.granted_by_default = set(engine.settings.consent_granted_by_default)

    def check_purpose(self, purpose: str, *field: str | int) -> str:
        """``purpose`` if configured, else a 422 naming ``field``."""
        if purpose not in self.purposes:
            raise InvalidInputError(
                f"unknown purpose {purpose!r}",
                [
                    FieldError(
                        field or ("purpose",),
                        f"unknown purpose {purpose!r}; known purposes: {sorted(self.purposes)} "
                        "(IDGRAPH_CONSENT_PURPOSES)",
                        "invalid_consent",
                    )
                ],
            )
        return purpose

    # ------------------------------------------------------------------ reads
    def of_customer(self, customer_id: str) -> CustomerConsent:
        """Consent per purpose of a customer (a merged-away id answers for its survivor)."""

        def work(unit: ResolutionUnit) -> CustomerConsent | None:
            found = unit.customer_members_of(customer_id)
            if found is None:
                return None
            current_id, members = found
            statements = from_rows(unit.consent_statements(members)) if members else []
            return CustomerConsent(
                customer_id=current_id,
                purposes=derive(statements, self.purposes, self.granted_by_default),
                statements=statements,
            )

        consent = self.store.in_read_transaction(work)
        if consent is None:
            raise NotFoundError(f"no customer {customer_id}")
        return consent

    def purpose_of(self, customer_id: str | None, purpose: str) -> PurposeConsent:
        """One purpose of a customer; no customer (a shared identifier) is never granted."""
        if customer_id is not None:
            for consent in self.of_customer(customer_id).purposes:
                if consent.purpose == purpose:
                    return consent
        return PurposeConsent(purpose=purpose, granted=False, basis=ConsentBasis.DEFAULT)

    def lookup(self, kind: str, value: str, source: str | None, purpose: str) -> LookupResult:
        """A lookup for a purpose: whether the customer may be used for it; without
        consent the answer holds no identifier (only the customer id and why not)."""
        self.check_purpose(purpose)
        result = self.lookups.lookup(kind, value, source)
        consent = self.purpose_of(result.customer_id, purpose)
        shown = result
        if not consent.granted:
            shown = result.model_copy(update={"identifier": None})
            if consent.statement is not None:  # its lineage names identifiers too
                hidden = consent.statement.model_copy(update={"identifiers": []})
                consent = consent.model_copy(update={"statement": hidden})
        return shown.model_copy(
            update={"purpose": purpose, "permitted": consent.granted, "consent": consent}
        )

    # ------------------------------------------------------------------ writes
    def record(self, request: ConsentRequest) -> ConsentReceipt:
        """Store a statement about the person behind one identifier.

        The statement becomes a record of source ``IDGRAPH_CONSENT_SOURCE`` with the
        statement id as its record id, observing only that identifier, and goes through
        the ingest path: a retry (same id, same content) changes nothing.

        Raises:
            InvalidInputError: an unknown purpose, a time in the future, a bad identifier.
            NotFoundError: the identifier is not in the graph.
        """
        self.check_purpose(request.purpose)
        now = datetime.now(UTC)
        statement = ConsentStatement(
            purpose=request.purpose, granted=request.granted, at=request.at or now
        )
        problems = statement_problems([statement], now, self.purposes, now)
        if problems:
            raise InvalidInputError(
                problems[0][1], [FieldError((path[-1],), msg) for path, msg in problems]
            )
        key = self.engine.identifier_key(request.kind, request.value, request.source)
        if self.store.lookup(key) is None:
            raise NotFoundError(f"no identifier {key} in the graph")
        kind, _, value = key.partition(":")
        assert statement.at is not None
        statement_id = request.statement_id
        if statement_id is None:
            # keyed, so the id (a record id, named in history) does not reveal the identifier
            secret = self.store.in_write_transaction(self.suppression.secret)
            payload = f"{key}\n{statement.purpose}\n{statement.granted}\n{statement.at.isoformat()}"
            statement_id = "st-" + keyed_hash(secret, payload)[:32]
        source = self.engine.settings.consent_source
        identifiers = (Identifier(kind=kind, value=value),)
        record = NormalisedRecord(
            source=source,
            record_id=statement_id,
            observed_at=statement.at,
            identifiers=identifiers,
            attributes={},
            content_hash=content_hash(statement.at.isoformat(), identifiers, {}, [statement]),
            consent=(statement,),
        )
        (result,) = self.ingestion.resolve([record])
        return ConsentReceipt(
            statement_id=statement_id,
            source=source,
            record_id=statement_id,
            customer_id=result.customer_id,
            consent=self.purpose_of(result.customer_id, statement.purpose),
        )
