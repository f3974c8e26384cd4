"""Overrides through the API: must-link and cannot-link applied at once, undone, recorded."""

from __future__ import annotations

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.integration


def record(source: str, rid: str, *ids: tuple[str, str]) -> dict:
    return {
        "source": source,
        "record_id": rid,
        "identifiers": [{"kind": k, "value": v} for k, v in ids],
    }


def post(client, *records: dict) -> None:
    response = client.post("/v1/records", json={"records": list(records)})
    assert response.status_code == 200, response.text


def customer(client, kind: str, value: str) -> str:
    response = client.get("/v1/lookup", params={"kind": kind, "value": value})
    assert response.status_code == 200, response.text
    return response.json()["customer_id"]


def test_same_then_undo(client, services) -> None:
    post(client, record("crm", "1", ("email", "a@x.com"), ("phone", "4155550101")))
    post(client, record("crm", "2", ("email", "b@x.com"), ("phone", "4155550102")))
    ca, cb = customer(client, "email", "a@x.com"), customer(client, "email", "b@x.com")
    assert ca != cb
    body = {
        "a": "email:A@X.com",
        "b": "phone:415-555-0102",
        "decision": "same",
        "reason": "confirmed on a call",
        "actor": "ana@example.com",
    }
    denied = client.post("/v1/overrides", json=body, headers=auth("writer"))
    assert denied.status_code == 403
    created = client.post("/v1/overrides", json=body)
    assert created.status_code == 201, created.text
    override = created.json()
    assert override["a"] == "email:a@x.com" and override["b"] == "phone:+14155550102"
    assert override["customer_a"] == override["customer_b"] == ca
    assert customer(client, "email", "b@x.com") == ca
    merge = [c for c in override["changes"] if c["type"] == "merged"]
    assert merge and "confirmed on a call" in merge[0]["reason"]
    assert services.reclustering.recluster(dry_run=True).differing_identifiers == 0

    again = client.post("/v1/overrides", json=body)
    assert again.status_code == 409

    history = client.get(f"/v1/customers/{ca}/history").json()["events"]
    assert [e["type"] for e in history][-2:] == ["merged", "override"]

    undone = client.delete(f"/v1/overrides/{override['override_id']}")
    assert undone.status_code == 200, undone.text
    assert customer(client, "email", "b@x.com") != customer(client, "email", "a@x.com")
    assert client.get(f"/v1/overrides/{override['override_id']}").status_code == 404
    assert client.delete(f"/v1/overrides/{override['override_id']}").status_code == 404


def test_different_splits_along_weakest_evidence(client, services) -> None:
    post(
        client,
        record("crm", "1", ("email", "c@x.com"), ("phone", "4155550103")),
        record("web", "2", ("cookie", "k1"), ("email", "c@x.com")),
        record("web", "3", ("cookie", "k1"), ("email", "d@x.com")),
    )
    one = customer(client, "email", "c@x.com")
    assert customer(client, "email", "d@x.com") == one
    created = client.post(
        "/v1/overrides",
        json={
            "a": "email:c@x.com",
            "b": "email:d@x.com",
            "decision": "different",
            "reason": "two siblings",
            "actor": "ops",
        },
    )
    assert created.status_code == 201, created.text
    assert customer(client, "email", "d@x.com") != customer(client, "email", "c@x.com")
    split = [c for c in created.json()["changes"] if c["type"] == "split"]
    assert split and "two siblings" in split[0]["reason"]
    assert services.reclustering.recluster(dry_run=True).differing_identifiers == 0
    # New evidence does not undo the decision.
    post(client, record("orders", "4", ("email", "c@x.com"), ("email", "d@x.com")))
    assert customer(client, "email", "d@x.com") != customer(client, "email", "c@x.com")


def test_bad_override_requests(client) -> None:
    post(client, record("crm", "1", ("email", "e@x.com"), ("phone", "4155550104")))
    base = {"decision": "same", "reason": "r", "actor": "x"}
    bad = client.post("/v1/overrides", json={**base, "a": "e@x.com", "b": "email:e@x.com"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "a"]
    missing = client.post(
        "/v1/overrides", json={**base, "a": "email:e@x.com", "b": "email:z@x.com"}
    )
    assert missing.status_code == 404 and "b:" in missing.json()["detail"]
    wrong = client.post(
        "/v1/overrides",
        json={**base, "decision": "maybe", "a": "email:e@x.com", "b": "phone:4155550104"},
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "decision"
