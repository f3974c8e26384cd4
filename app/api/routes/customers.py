"""``GET /v1/customers/{customer_id}``: the customer profile."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ReaderDep, ServiceDep
from graph_models.customers import CustomerProfile

router = APIRouter(tags=["customers"])


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerProfile,
    summary="A customer's profile",
    responses={404: {"description": "No such customer id"}},
)
def get_customer(customer_id: str, _: ReaderDep, service: ServiceDep) -> CustomerProfile:
    """Identifiers with membership confidence, golden attributes, sources, confidence."""
    return service.profile(customer_id)
