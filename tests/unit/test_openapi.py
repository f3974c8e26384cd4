"""The OpenAPI document lists every endpoint, with examples (no database needed)."""

from __future__ import annotations

import json

from app.core.config import Settings
from app.main import create_app


def test_every_endpoint_is_documented_with_examples() -> None:
    spec = create_app(Settings(api_keys="")).openapi()
    assert set(spec["paths"]) == {
        "/healthz",
        "/readyz",
        "/v1/records",
        "/v1/lookup",
        "/v1/customers/{customer_id}",
        "/v1/customers/{customer_id}/history",
        "/v1/customers/{customer_id}/lineage",
        "/v1/customers/{customer_id}/export",
        "/v1/explain",
        "/v1/overrides",
        "/v1/overrides/{override_id}",
        "/v1/identifiers/{kind}/{value}",
        "/v1/match-model",
        "/v1/changes",
        "/v1/webhooks",
        "/v1/webhooks/{webhook_id}",
        "/v1/session",
        "/v1/what-if",
        "/v1/review",
        "/v1/review/decisions",
        "/v1/audit",
        "/v1/consent",
        "/v1/customers/{customer_id}/consent",
    }
    schemas = spec["components"]["schemas"]
    for name in (
        "RecordBatch",
        "LookupResult",
        "Explanation",
        "CustomerHistory",
        "OverrideRequest",
        "ErasureReport",
        "CustomerExport",
        "MatchModelView",
        "WhatIfRequest",
        "AuditEntry",
        "ConsentRequest",
    ):
        assert "example" in json.dumps(schemas[name]), name
    # Protected routes declare the bearer scheme; health routes do not.
    assert "HTTPBearer" in json.dumps(spec["paths"]["/v1/lookup"])
    assert "HTTPBearer" not in json.dumps(spec["paths"]["/healthz"])
