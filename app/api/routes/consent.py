"""Consent per purpose: ``POST /v1/consent`` records a statement for an identifier,
``GET /v1/customers/{id}/consent`` shows a customer's consent and the statements behind it."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ConsentDep, ReaderDep, WriterDep
from app.api.params import CustomerId
from graph_models.consent import ConsentReceipt, ConsentRequest, CustomerConsent

router = APIRouter(tags=["consent"])


@router.post(
    "/consent",
    response_model=ConsentReceipt,
    summary="Record a consent statement for an identifier (e.g. an unsubscribe)",
    responses={
        404: {"description": "The identifier is not in the graph"},
        422: {"description": "An unknown purpose or a bad field, named"},
    },
)
def post_consent(request: ConsentRequest, _: WriterDep, consent: ConsentDep) -> ConsentReceipt:
    """Idempotent on retry: the same ``statement_id`` (or, without one, the same
    identifier, purpose, granted and ``at``) stores nothing new."""
    return consent.record(request)


@router.get(
    "/customers/{customer_id}/consent",
    response_model=CustomerConsent,
    summary="A customer's consent per purpose and the statements behind it",
    responses={404: {"description": "No such customer id"}},
)
def get_consent(customer_id: CustomerId, _: ReaderDep, consent: ConsentDep) -> CustomerConsent:
    """Derived from the customer's records now: the latest statement per purpose wins."""
    return consent.of_customer(customer_id)
