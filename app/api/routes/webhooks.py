"""Webhook subscriptions: the change feed pushed to a URL, signed (admin only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from app.api.deps import AdminDep, WebhooksDep
from app.audit.recording import note
from graph_models.webhooks import Webhook, WebhookCreated, WebhookList, WebhookRequest

router = APIRouter(tags=["webhooks"])

_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such webhook"}}


@router.post(
    "/webhooks",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a URL to the change feed",
    responses={422: {"description": "url is not http(s), an unknown event type, or a bad `after`"}},
)
def create_webhook(request: WebhookRequest, _: AdminDep, webhooks: WebhooksDep) -> WebhookCreated:
    """Events are POSTed one at a time, in feed order, signed; the secret is shown only here."""
    created = webhooks.create(request)
    note(f"webhook:{created.webhook_id}")  # never the URL's secret or the signing secret
    return created


@router.get("/webhooks", response_model=WebhookList, summary="Subscriptions and their status")
def list_webhooks(_: AdminDep, webhooks: WebhooksDep) -> WebhookList:
    """Every subscription with its cursor, last success, last error, attempts and lag."""
    return WebhookList(webhooks=webhooks.list())


@router.get(
    "/webhooks/{webhook_id}",
    response_model=Webhook,
    summary="One subscription and its delivery status",
    responses=_404,
)
def get_webhook(webhook_id: str, _: AdminDep, webhooks: WebhooksDep) -> Webhook:
    """Cursor, last success, last error, attempts since, next attempt, lag."""
    return webhooks.get(webhook_id)


@router.delete(
    "/webhooks/{webhook_id}",
    response_model=Webhook,
    summary="Unsubscribe",
    responses=_404,
)
def delete_webhook(webhook_id: str, _: AdminDep, webhooks: WebhooksDep) -> Webhook:
    """Deliveries stop; the answer is the subscription's last status."""
    return webhooks.delete(webhook_id)
