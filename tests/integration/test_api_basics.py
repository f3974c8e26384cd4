"""The API against the real Neo4j: records in, lookups and profiles out."""

from __future__ import annotations

import gc

import pytest

pytestmark = pytest.mark.integration

JANE = {
    "source": "crm",
    "record_id": "A-1001",
    "observed_at": "2026-11-01T12:00:00Z",
    "identifiers": [
        {"kind": "email", "value": "Jane.Doe@Example.com"},
        {"kind": "phone", "value": "+1 (415) 555-0100"},
    ],
    "attributes": {"first_name": "Jane", "last_name": "Doe", "postcode": "94110"},
}


def test_health_and_ready(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"


def test_what_start_up_built_is_out_of_the_collectors_reach(store, api_settings) -> None:
    """Full collections skip what existed when the app started (their pauses were the
    lookups' p99 on the bench) and get it back when it stops."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    built_before = {"kept": ["alive"]}

    def collector_sees() -> bool:
        return any(o is built_before for o in gc.get_objects())

    assert collector_sees()
    with TestClient(create_app(api_settings)) as started:
        assert started.get("/healthz").status_code == 200
        assert not collector_sees()
    assert collector_sees()


def test_post_record_then_lookup_and_profile(client) -> None:
    response = client.post("/v1/records", json={"records": [JANE]})
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    assert result["source"] == "crm" and result["record_id"] == "A-1001"
    customer_id = result["customer_id"]
    assert customer_id.startswith("C-")
    assert [c["type"] for c in result["changes"]] == ["created"]

    found = client.get("/v1/lookup", params={"kind": "phone", "value": "415.555.0100"})
    assert found.status_code == 200, found.text
    assert found.json()["customer_id"] == customer_id
    assert found.json()["identifier"] == {"kind": "phone", "value": "+14155550100"}

    profile = client.get(f"/v1/customers/{customer_id}").json()
    assert profile["status"] == "active"
    assert {(i["kind"], i["value"]) for i in profile["identifiers"]} == {
        ("email", "jane.doe@example.com"),
        ("phone", "+14155550100"),
    }
    assert profile["attributes"]["first_name"] == "Jane"
    assert profile["record_count"] == 1
    assert profile["sources"] == ["crm"]


def test_resend_changes_nothing(client) -> None:
    first = client.post("/v1/records", json={"records": [JANE]}).json()["results"][0]
    again = client.post("/v1/records", json={"records": [JANE]}).json()["results"][0]
    assert again["customer_id"] == first["customer_id"]
    assert again["changes"] == []
    profile = client.get(f"/v1/customers/{first['customer_id']}").json()
    assert profile["record_count"] == 1


def test_lookup_unknown_is_404(client) -> None:
    response = client.get("/v1/lookup", params={"kind": "email", "value": "nobody@example.com"})
    assert response.status_code == 404
    assert "nobody@example.com" in response.json()["detail"]


def test_bad_batch_is_422_and_stores_nothing(client) -> None:
    bad = {**JANE, "record_id": "A-2", "identifiers": [{"kind": "email", "value": "not-an-email"}]}
    missing = {"record_id": "A-3", "identifiers": []}
    response = client.post("/v1/records", json={"records": [JANE, bad]})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", "records", 1, "identifiers", 0, "value"]
    assert detail[0]["record"] == {"source": "crm", "record_id": "A-2"}
    assert (
        client.get(
            "/v1/lookup", params={"kind": "email", "value": JANE["identifiers"][0]["value"]}
        ).status_code
        == 404
    )

    response = client.post("/v1/records", json={"records": [missing]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "records", 0, "source"]


def test_api_keys_and_roles(client) -> None:
    from tests.conftest import auth

    lookup = {"kind": "email", "value": "jane.doe@example.com"}
    assert client.get("/v1/lookup", params=lookup, headers={"Authorization": ""}).status_code == 401
    bad = client.get("/v1/lookup", params=lookup, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/lookup", params=lookup, headers=auth("reader")).status_code == 404
    denied = client.post("/v1/records", json={"records": [JANE]}, headers=auth("reader"))
    assert denied.status_code == 403 and "writer" in denied.json()["detail"]
    ok = client.post("/v1/records", json={"records": [JANE]}, headers=auth("writer"))
    assert ok.status_code == 200
    assert client.get("/healthz", headers={"Authorization": ""}).status_code == 200
    assert client.get("/readyz", headers={"Authorization": ""}).status_code == 200
