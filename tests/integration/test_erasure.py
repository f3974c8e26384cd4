"""Erasure against the real Neo4j: no trace of the erased values anywhere in the graph."""

from __future__ import annotations

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.integration

JANE = [
    {
        "source": "crm",
        "record_id": "A-1",
        "observed_at": "2026-11-01T12:00:00Z",
        "identifiers": [
            {"kind": "email", "value": "Jane.Doe@Example.com"},
            {"kind": "phone", "value": "+1 (415) 555-0100"},
        ],
        "attributes": {"first_name": "Janelle", "last_name": "Doerwald", "postcode": "94110"},
    },
    {
        "source": "web",
        "record_id": "w-9",
        "identifiers": [
            {"kind": "account", "value": "jd-77"},
            {"kind": "cookie", "value": "ck-jane"},
            {"kind": "email", "value": "jane.doe@example.com"},
        ],
    },
    {
        "source": "callcentre",
        "record_id": "call-1",
        "identifiers": [
            {"kind": "phone", "value": "+1 (415) 555-0100"},
            {"kind": "phone", "value": "+1 415 900 0000"},
        ],
        "attributes": {"note": "Janelle asked about her order"},
    },
]
OTHER = {
    "source": "crm",
    "record_id": "B-1",
    "identifiers": [{"kind": "email", "value": "bob@example.com"}],
    "attributes": {"first_name": "Bob"},
}
# Other callers of the support line: it is quarantined as shared, so it is nobody's.
CALLERS = [
    {
        "source": "callcentre",
        "record_id": f"call-x{n}",
        "identifiers": [
            {"kind": "phone", "value": f"+1 415 555 02{n:02d}"},
            {"kind": "phone", "value": "+1 415 900 0000"},
        ],
    }
    for n in range(6)
]
TRACES = (
    "jane.doe@example.com",
    "Jane.Doe@Example.com",
    "+14155550100",
    "555-0100",
    "web/jd-77",
    "jd-77",
    "ck-jane",
    "Janelle",
    "Doerwald",
)


def everything(store) -> str:
    """Every property of every node and relationship, as one string."""
    nodes = store.driver.execute_query("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
    rels = store.driver.execute_query("MATCH ()-[r]->() RETURN type(r) AS t, properties(r) AS p")
    return repr([r.data() for r in nodes.records] + [r.data() for r in rels.records])


def test_erase_customer_leaves_no_trace(client, store) -> None:
    posted = client.post("/v1/records", json={"records": [*JANE, OTHER, *CALLERS]})
    result = posted.json()["results"]
    jane = result[0]["customer_id"]
    # Make history mention her identifiers, then erase.
    client.post(
        "/v1/overrides",
        json={
            "a": "email:jane.doe@example.com",
            "b": "email:bob@example.com",
            "decision": "different",
            "reason": "checked",
            "actor": "ops",
        },
    )
    dump = everything(store)
    assert all(t in dump for t in ("jane.doe@example.com", "Janelle", "ck-jane"))

    denied = client.delete(f"/v1/customers/{jane}", headers=auth("writer"))
    assert denied.status_code == 403
    erased = client.delete(f"/v1/customers/{jane}")
    assert erased.status_code == 200, erased.text
    report = erased.json()
    assert report["identifiers_erased"] == 4
    assert report["records_deleted"] == 2 and report["records_scrubbed"] == 1

    dump = everything(store)
    leaks = [t for t in TRACES if t in dump]
    assert leaks == []
    assert "bob@example.com" in dump and "+14159000000" in dump  # others are kept
    bob = client.get("/v1/lookup", params={"kind": "email", "value": "bob@example.com"})
    assert bob.status_code == 200
    gone = client.get("/v1/lookup", params={"kind": "email", "value": "jane.doe@example.com"})
    assert gone.status_code == 404
    history = client.get(f"/v1/customers/{jane}/history").json()["events"]
    assert history[-1]["type"] == "erased"
    assert all("jane" not in e["reason"].lower() for e in history)

    # Suppression: the erased identifiers are not linked again when they reappear.
    again = client.post("/v1/records", json={"records": [JANE[0]]}).json()["results"][0]
    assert again["customer_id"] is None
    assert (
        client.get("/v1/lookup", params={"kind": "phone", "value": "+1 (415) 555-0100"}).status_code
        == 404
    )
    assert [t for t in ("jane.doe@example.com", "+14155550100") if t in everything(store)] == []


def test_erase_one_identifier(client, store) -> None:
    client.post("/v1/records", json={"records": JANE})
    response = client.delete("/v1/identifiers/account/web/jd-77")
    assert response.status_code == 200, response.text
    assert response.json()["identifiers_erased"] == 1
    dump = everything(store)
    assert "jd-77" not in dump
    # The rest of the record that carried it stays, without its personal attributes.
    still = client.get("/v1/lookup", params={"kind": "cookie", "value": "ck-jane"})
    assert still.status_code == 200 and still.json()["customer_id"]
    missing = client.delete("/v1/identifiers/account/web/jd-77")
    assert missing.status_code == 404
    assert client.delete("/v1/identifiers/email/not-an-email").status_code == 422
    assert client.delete("/v1/customers/C-nope").status_code == 404
