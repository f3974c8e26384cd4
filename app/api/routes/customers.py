"""Customers: profile (now or as of a time), history, lineage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.deps import AdminDep, ConsentDep, CustomersDep, ErasureDep, ExportDep, ReaderDep
from app.api.params import AsOf, CustomerId
from app.audit import targets as audit_targets
from app.audit.http import audited
from app.core import metrics
from graph_models.customers import (
    CustomerHistory,
    CustomerLineage,
    CustomerProfile,
    ErasureReport,
)
from graph_models.export import CustomerExport

router = APIRouter(tags=["customers"])

# Neo4j integers are 64-bit: an unbounded offset overflows in SKIP and answered 500. No
# customer has a million events or records; larger offsets get a 422 naming the field.
MAX_OFFSET = 1_000_000

_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such customer id"}}


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerProfile,
    summary="A customer's profile, now or as it stood at a time",
    responses=_404,
)
def get_customer(
    customer_id: CustomerId,
    _: ReaderDep,
    customers: CustomersDep,
    consent: ConsentDep,
    as_of: AsOf = None,
) -> CustomerProfile:
    """Identifiers with membership confidence, golden attributes, sources, confidence,
    consent per purpose (not with ``as_of``)."""
    if as_of is not None:
        return customers.as_of(customer_id, as_of)
    profile = customers.profile(customer_id)
    return profile.model_copy(update={"consent": consent.of_customer(customer_id).purposes})


@router.get(
    "/customers/{customer_id}/history",
    response_model=CustomerHistory,
    summary="Create / merge / split / retire events, oldest first",
    responses=_404,
)
def get_history(
    customer_id: CustomerId,
    _: ReaderDep,
    customers: CustomersDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CustomerHistory:
    """Events about this id and every id merged into the one it lives on as."""
    return customers.history(customer_id, offset, limit)


@router.get(
    "/customers/{customer_id}/lineage",
    response_model=CustomerLineage,
    summary="The records and links that built this customer",
    responses=_404,
)
def get_lineage(
    customer_id: CustomerId,
    _: ReaderDep,
    customers: CustomersDep,
    consent: ConsentDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CustomerLineage:
    """Records grouped by source in time order, and links with their evidence; paged;
    with every consent statement and the record that made it."""
    lineage = customers.lineage(customer_id, offset, limit)
    statements = consent.of_customer(lineage.customer_id).statements
    return lineage.model_copy(update={"consent_statements": statements})


@router.get(
    "/customers/{customer_id}/export",
    response_model=CustomerExport,
    summary="Everything stored about the person (data-subject access), in one document",
    responses=_404,
)
@audited("customer.export")
def export_customer(customer_id: CustomerId, _: AdminDep, exports: ExportDep) -> CustomerExport:
    """Records with attributes and sources, identifiers, links and their evidence, history,
    overrides: every property stored, in sections a person can read (admin: it holds all
    of the person's personal data)."""
    return exports.export(customer_id)


@router.delete(
    "/customers/{customer_id}",
    response_model=ErasureReport,
    summary="Erase a person: every identifier of this customer and the evidence from them",
    responses=_404,
)
def erase_customer(customer_id: CustomerId, _: AdminDep, erasure: ErasureDep) -> ErasureReport:
    """Removes the identifiers, the personal data of their records and the links built from
    them; what remains is re-evaluated; history keeps an entry with a keyed hash only."""
    report = erasure.erase_customer(customer_id)
    metrics.count_changes(report.changes)
    audit_targets.erased(report)
    return report
