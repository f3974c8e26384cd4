"""Consent per purpose against the real Neo4j: statements through the ingest path, lookups
for a purpose, POST /v1/consent, merges and splits, erasure, bad input, retries, CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import app
from tests.conftest import auth

pytestmark = pytest.mark.integration

EMAIL = "jane.doe@example.com"


def count(store: Any, query: str) -> int:
    return store.driver.execute_query(query).records[0][0]


def record(
    record_id: str,
    identifiers: list[tuple[str, str]],
    consent: list[dict[str, Any]] | None = None,
    source: str = "crm",
    **attributes: str,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": source,
        "record_id": record_id,
        "observed_at": "2026-11-01T09:00:00Z",
        "identifiers": [{"kind": k, "value": v} for k, v in identifiers],
        "attributes": attributes,
    }
    if consent is not None:
        body["consent"] = consent
    return body


def grant(purpose: str, at: str, granted: bool = True) -> dict[str, Any]:
    return {"purpose": purpose, "granted": granted, "at": at}


def post(client: Any, *records: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/records", json={"records": list(records)})
    assert response.status_code == 200, response.text
    return response.json()


def customer_of(client: Any, kind: str, value: str) -> str:
    response = client.get("/v1/lookup", params={"kind": kind, "value": value})
    assert response.status_code == 200, response.text
    cid: str = response.json()["customer_id"]
    return cid


def consent_of(client: Any, customer_id: str) -> dict[str, bool]:
    response = client.get(f"/v1/customers/{customer_id}/consent")
    assert response.status_code == 200, response.text
    return {c["purpose"]: c["granted"] for c in response.json()["purposes"]}


def consent_events(client: Any, customer_id: str) -> list[dict[str, Any]]:
    history = client.get(f"/v1/customers/{customer_id}/history").json()
    return [e for e in history["events"] if e["type"] == "consent"]


def test_ingested_statements_show_in_profile_lineage_and_lookup(client) -> None:
    post(
        client,
        record(
            "A-1",
            [("email", EMAIL), ("phone", "+1 415 555 0100")],
            [grant("marketing", "2026-11-01T10:00:00Z")],
            first_name="Jane",
        ),
    )
    cid = customer_of(client, "email", EMAIL)

    profile = client.get(f"/v1/customers/{cid}").json()
    by_purpose = {c["purpose"]: c for c in profile["consent"]}
    assert set(by_purpose) == {"marketing", "analytics", "personalisation"}
    assert by_purpose["marketing"]["granted"] is True
    assert by_purpose["marketing"]["basis"] == "statement"
    assert by_purpose["marketing"]["statement"]["source"] == "crm"
    assert by_purpose["marketing"]["statement"]["record_id"] == "A-1"
    assert by_purpose["analytics"] == {
        "purpose": "analytics",
        "granted": False,
        "basis": "default",
        "statement": None,
    }

    lineage = client.get(f"/v1/customers/{cid}/lineage").json()
    (statement,) = lineage["consent_statements"]
    assert statement["record_id"] == "A-1"
    assert statement["at"].startswith("2026-11-01T10:00:00")
    assert f"email:{EMAIL}" in statement["identifiers"]

    allowed = client.get(
        "/v1/lookup", params={"kind": "email", "value": EMAIL, "purpose": "marketing"}
    )
    assert allowed.status_code == 200
    assert allowed.json()["permitted"] is True
    assert allowed.json()["identifier"] == {"kind": "email", "value": EMAIL}

    # no statement for analytics: the default (not granted) hides the identifier
    for response in (
        client.get("/v1/lookup", params={"kind": "email", "value": EMAIL, "purpose": "analytics"}),
        client.post("/v1/lookup", json={"kind": "email", "value": EMAIL, "purpose": "analytics"}),
    ):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["permitted"] is False
        assert body["identifier"] is None
        assert body["customer_id"] == cid
        assert (
            EMAIL not in response.text
            and "555" not in response.text
            and "Jane" not in (response.text)
        )

    unknown = client.get("/v1/lookup", params={"kind": "email", "value": EMAIL, "purpose": "sms"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["query", "purpose"]


def test_post_consent_withdraws_is_idempotent_and_in_history(client, store) -> None:
    post(client, record("A-1", [("email", EMAIL)], [grant("marketing", "2026-11-01T10:00:00Z")]))
    cid = customer_of(client, "email", EMAIL)
    before_events = len(consent_events(client, cid))
    assert before_events == 1  # the statement recorded by ingest

    body = {
        "kind": "email",
        "value": "Jane.Doe@Example.com",
        "purpose": "marketing",
        "granted": False,
        "at": "2026-11-02T08:00:00Z",
        "statement_id": "unsub-1",
    }
    first = client.post("/v1/consent", json=body, headers=auth("writer"))
    assert first.status_code == 200, first.text
    receipt = first.json()
    assert receipt["customer_id"] == cid
    assert receipt["statement_id"] == "unsub-1"
    assert receipt["consent"]["granted"] is False
    assert receipt["consent"]["statement"]["record_id"] == "unsub-1"
    assert consent_of(client, cid)["marketing"] is False

    events = consent_events(client, cid)
    assert len(events) == 2
    assert "consent|unsub-1" in events[-1]["reason"]
    assert "marketing withdrawn" in events[-1]["reason"]
    assert "example.com" not in events[-1]["reason"]

    records = count(store, "MATCH (r:Record) RETURN count(r)")
    again = client.post("/v1/consent", json=body, headers=auth("writer"))
    assert again.status_code == 200
    assert again.json() == receipt
    assert count(store, "MATCH (r:Record) RETURN count(r)") == records
    assert len(consent_events(client, cid)) == 2

    # without a statement id, the content is the key: a retry is the same statement
    natural = {k: v for k, v in body.items() if k != "statement_id"}
    one = client.post("/v1/consent", json=natural).json()
    two = client.post("/v1/consent", json=natural).json()
    assert one["statement_id"] == two["statement_id"]
    assert count(store, "MATCH (r:Record) RETURN count(r)") == records + 1

    hidden = client.get(
        "/v1/lookup", params={"kind": "email", "value": EMAIL, "purpose": "marketing"}
    ).json()
    assert hidden["permitted"] is False and hidden["identifier"] is None
    assert hidden["consent"]["statement"]["identifiers"] == []

    # a grant stated later wins again
    regrant = {**body, "granted": True, "at": "2026-11-03T08:00:00Z", "statement_id": "opt-in-2"}
    assert client.post("/v1/consent", json=regrant).json()["consent"]["granted"] is True


def test_post_consent_refuses_bad_input_and_unknown_identifiers(client, store) -> None:
    post(client, record("A-1", [("email", EMAIL)]))
    base = {"kind": "email", "value": EMAIL, "purpose": "marketing", "granted": False}
    records = count(store, "MATCH (r:Record) RETURN count(r)")

    missing = client.post("/v1/consent", json={**base, "value": "nobody@example.com"})
    assert missing.status_code == 404

    cases = {
        ("body", "purpose"): {**base, "purpose": "sms"},
        ("body", "granted"): {**base, "granted": "nope"},
        ("body", "at"): {**base, "at": "2999-01-01T00:00:00Z"},
        ("body", "value"): {**base, "value": "not an email"},
        ("body", "kind"): {**base, "kind": "passport"},
    }
    for loc, payload in cases.items():
        response = client.post("/v1/consent", json=payload)
        assert response.status_code == 422, (loc, response.text)
        assert tuple(response.json()["detail"][0]["loc"]) == loc, response.text
    reader = client.post("/v1/consent", json=base, headers=auth("reader"))
    assert reader.status_code == 403
    assert count(store, "MATCH (r:Record) RETURN count(r)") == records


def test_bad_statements_in_a_batch_are_named_and_nothing_is_stored(client, store) -> None:
    post(client, record("A-1", [("email", EMAIL)], [grant("marketing", "2026-11-01T10:00:00Z")]))
    stored = count(store, "MATCH (r:Record) RETURN count(r)")
    batch = [
        record("B-1", [("email", "bob@example.com")]),
        record(
            "A-1",
            [("email", EMAIL)],
            [
                grant("marketing", "2026-11-02T10:00:00Z", False),
                grant("sms", "2026-11-01T10:00:00Z"),
            ],
        ),
    ]
    response = client.post("/v1/records", json={"records": batch})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [["body", "records", 1, "consent", 1, "purpose"]]
    bad_type = client.post(
        "/v1/records",
        json={"records": [record("C-1", [("email", "c@example.com")], [{"purpose": "x"}])]},
    )
    assert bad_type.status_code == 422
    assert ["body", "records", 0, "consent", 0, "granted"] in [
        d["loc"] for d in bad_type.json()["detail"]
    ]
    assert count(store, "MATCH (r:Record) RETURN count(r)") == stored
    assert consent_of(client, customer_of(client, "email", EMAIL))["marketing"] is True


def test_replacing_a_record_replaces_its_statements(client) -> None:
    post(client, record("A-1", [("email", EMAIL)], [grant("marketing", "2026-11-01T10:00:00Z")]))
    cid = customer_of(client, "email", EMAIL)
    post(client, record("A-1", [("email", EMAIL)], [grant("analytics", "2026-11-01T11:00:00Z")]))
    assert consent_of(client, cid) == {
        "marketing": False,
        "analytics": True,
        "personalisation": False,
    }
    post(client, record("A-1", [("email", EMAIL)]))
    assert consent_of(client, cid) == dict.fromkeys(
        ["marketing", "analytics", "personalisation"], False
    )
    assert client.get(f"/v1/customers/{cid}/consent").json()["statements"] == []


def test_a_merge_keeps_the_withdrawal(client) -> None:
    post(
        client,
        # A withdrew at 10:05 (after an old grant at 08:00 on another record)
        record("A-1", [("email", EMAIL)], [grant("marketing", "2026-11-01T08:00:00Z")]),
        record(
            "A-2",
            [("email", EMAIL), ("phone", "+1 415 555 0100")],
            [grant("marketing", "2026-11-01T10:05:00Z", False)],
        ),
        # B granted at 10:00, and analytics at 09:00
        record(
            "B-1",
            [("email", "jane@work.example.com")],
            [
                grant("marketing", "2026-11-01T10:00:00Z"),
                grant("analytics", "2026-11-01T09:00:00Z"),
            ],
            source="web",
        ),
    )
    a = customer_of(client, "email", EMAIL)
    b = customer_of(client, "email", "jane@work.example.com")
    assert a != b
    assert consent_of(client, a)["marketing"] is False
    assert consent_of(client, b)["marketing"] is True

    # a record seen with both emails merges them
    result = post(
        client,
        record("L-1", [("email", EMAIL), ("email", "jane@work.example.com")], source="support"),
    )
    changes = result["results"][0]["changes"]
    assert any(c["type"] == "merged" for c in changes)
    merged = customer_of(client, "email", EMAIL)
    assert customer_of(client, "email", "jane@work.example.com") == merged
    consent = consent_of(client, merged)
    assert consent["marketing"] is False  # B's older grant does not revive it
    assert consent["analytics"] is True  # B's grant for another purpose holds
    # the merged-away id answers for its survivor
    loser = b if merged == a else a
    assert consent_of(client, loser)["marketing"] is False
    for_b = client.get(
        "/v1/lookup",
        params={"kind": "email", "value": "jane@work.example.com", "purpose": "marketing"},
    ).json()
    assert for_b["permitted"] is False and for_b["identifier"] is None
    events = consent_events(client, merged)
    assert any("merge" in e["reason"] and "marketing withdrawn" in e["reason"] for e in events), (
        events
    )


def test_a_split_rederives_each_part(client) -> None:
    post(
        client,
        record("A-1", [("email", EMAIL)], [grant("marketing", "2026-11-01T10:00:00Z")]),
        record("L-1", [("email", EMAIL), ("phone", "+1 415 555 0100")], source="support"),
        record(
            "P-1",
            [("phone", "+1 415 555 0100")],
            [grant("marketing", "2026-11-01T10:05:00Z", False)],
            source="callcentre",
        ),
    )
    whole = customer_of(client, "email", EMAIL)
    assert customer_of(client, "phone", "+1 415 555 0100") == whole
    assert consent_of(client, whole)["marketing"] is False

    # the only evidence linking the email and the phone is replaced: a split
    result = post(client, record("L-1", [("email", EMAIL)], source="support"))
    assert any(c["type"] == "split" for c in result["results"][0]["changes"])
    email_part = customer_of(client, "email", EMAIL)
    phone_part = customer_of(client, "phone", "+1 415 555 0100")
    assert email_part != phone_part
    assert consent_of(client, email_part)["marketing"] is True
    assert consent_of(client, phone_part)["marketing"] is False
    new_part = phone_part if email_part == whole else email_part
    events = consent_events(client, new_part) + consent_events(client, whole)
    assert any("split" in e["reason"] for e in events), events


JANE_GRANTS = record(
    "A-1",
    [("email", EMAIL), ("phone", "+1 415 555 0100")],
    [grant("marketing", "2026-11-01T10:00:00Z")],
)


def test_erasure_removes_statements(client, store) -> None:
    post(
        client,
        JANE_GRANTS,
        record("B-1", [("email", "bob@example.com")], [grant("analytics", "2026-11-01T10:00:00Z")]),
    )
    client.post(
        "/v1/consent",
        json={
            "kind": "phone",
            "value": "+1 415 555 0100",
            "purpose": "marketing",
            "granted": False,
        },
    )
    cid = customer_of(client, "email", EMAIL)
    query = "MATCH (r:Record) WHERE r.consent_purposes IS NOT NULL RETURN count(r)"
    assert count(store, query) == 3
    erased = client.delete(f"/v1/customers/{cid}")
    assert erased.status_code == 200, erased.text
    assert count(store, query) == 1  # Bob's only
    assert count(store, "MATCH (r:Record {source: 'consent'}) RETURN count(r)") == 0
    assert count(store, "MATCH (r:Record) WHERE r.consent_at IS NOT NULL RETURN count(r)") == 1


def test_erasing_an_identifier_drops_the_statements_of_its_records(client, store) -> None:
    post(
        client,
        JANE_GRANTS,
    )
    response = client.delete(f"/v1/identifiers/email/{EMAIL}")
    assert response.status_code == 200, response.text
    phone = customer_of(client, "phone", "+1 415 555 0100")
    assert consent_of(client, phone)["marketing"] is False
    assert (
        count(store, "MATCH (r:Record) WHERE r.consent_purposes IS NOT NULL RETURN count(r)") == 0
    )


def test_cli_records_and_shows_consent_and_ingests_statements(cli_env, tmp_path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(
        json.dumps(record("A-1", [("email", EMAIL)], [grant("marketing", "2026-11-01T10:00:00Z")]))
        + "\n"
    )
    runner = CliRunner()
    loaded = runner.invoke(app, ["ingest", str(path)])
    assert loaded.exit_code == 0, loaded.output
    args = ["consent", "record", "--kind", "email", "--value", EMAIL, "--purpose", "marketing"]
    withdrawn = runner.invoke(
        app, [*args, "--withdrawn", "--at", "2026-11-02T10:00:00Z", "--statement-id", "u-1"]
    )
    assert withdrawn.exit_code == 0, withdrawn.output
    receipt = json.loads(withdrawn.output)
    assert receipt["consent"]["granted"] is False
    again = runner.invoke(
        app, [*args, "--withdrawn", "--at", "2026-11-02T10:00:00Z", "--statement-id", "u-1"]
    )
    assert json.loads(again.output) == receipt
    assert count(cli_env, "MATCH (r:Record) RETURN count(r)") == 2

    shown = runner.invoke(app, ["consent", "show", receipt["customer_id"]])
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert [s["record_id"] for s in body["statements"]] == ["u-1", "A-1"]

    bad = runner.invoke(
        app,
        ["consent", "record", "--kind", "email", "--value", EMAIL, "--purpose", "sms", "--granted"],
    )
    assert bad.exit_code == 1
    assert "--purpose" in bad.output and "unknown purpose" in bad.output
    unknown = runner.invoke(
        app,
        [
            "consent",
            "record",
            "--kind",
            "email",
            "--value",
            "nobody@example.com",
            "--purpose",
            "marketing",
            "--granted",
        ],
    )
    assert unknown.exit_code == 1 and "no identifier" in unknown.output
    assert runner.invoke(app, ["consent", "show", "C-nope"]).exit_code == 1
