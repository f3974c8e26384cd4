"""History, time travel and lineage through the API, against the real Neo4j."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.integration


def record(source: str, rid: str, *ids: tuple[str, str], **attrs: str) -> dict:
    return {
        "source": source,
        "record_id": rid,
        "observed_at": "2026-11-01T12:00:00Z",
        "identifiers": [{"kind": k, "value": v} for k, v in ids],
        "attributes": attrs,
    }


def post(client, *records: dict) -> list[dict]:
    response = client.post("/v1/records", json={"records": list(records)})
    assert response.status_code == 200, response.text
    return response.json()["results"]


def now() -> str:
    time.sleep(0.05)
    stamp = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    return stamp


def test_history_as_of_and_lineage_follow_a_merge(client) -> None:
    c1 = post(
        client, record("crm", "1", ("email", "a@x.com"), ("phone", "4155550101"), first_name="Ann")
    )[0]["customer_id"]
    before_c2 = now()
    c2 = post(client, record("web", "2", ("cookie", "ck"), ("account", "u1")))[0]["customer_id"]
    before_merge = now()
    merged = post(client, record("web", "3", ("cookie", "ck"), ("email", "A@x.com")))[0]
    assert merged["customer_id"] == c1

    history = client.get(f"/v1/customers/{c2}/history").json()
    assert history["current_id"] == c1 and history["current_status"] == "active"
    types = [(e["type"], e["customer_id"]) for e in history["events"]]
    assert types == [("created", c1), ("created", c2), ("merged", c1)]
    merge_event = history["events"][-1]
    assert merge_event["before"] == [c1, c2] and merge_event["after"] == [c1]
    assert merge_event["trigger_record"] == "web|3"
    assert "cookie:ck" in merge_event["reason"] or "email:a@x.com" in merge_event["reason"]

    then = client.get(f"/v1/customers/{c2}", params={"as_of": before_merge}).json()
    assert then["status"] == "active"
    assert {(i["kind"], i["value"]) for i in then["identifiers"]} == {
        ("cookie", "ck"),
        ("account", "web/u1"),
    }
    later = client.get(f"/v1/customers/{c2}", params={"as_of": now()}).json()
    assert later["status"] == "merged" and later["merged_into"] == c1
    assert later["identifiers"] == []
    c1_then = client.get(f"/v1/customers/{c1}", params={"as_of": before_c2}).json()
    assert {i["value"] for i in c1_then["identifiers"]} == {"a@x.com", "+14155550101"}
    assert c1_then["attributes"] == {"first_name": "Ann"}
    early = client.get(f"/v1/customers/{c2}", params={"as_of": "2020-01-01T00:00:00Z"})
    assert early.status_code == 404

    lineage = client.get(f"/v1/customers/{c2}/lineage").json()
    assert lineage["customer_id"] == c1
    assert lineage["total_records"] == 3
    assert [(s["source"], [r["record_id"] for r in s["records"]]) for s in lineage["sources"]] == [
        ("crm", ["1"]),
        ("web", ["2", "3"]),
    ]
    assert lineage["total_links"] == 3
    evidence = {(x["a"], x["b"]): x for x in lineage["links"]}
    link = evidence[("cookie:ck", "email:a@x.com")]
    assert link["records"] == ["web|3"] and link["sources"] == ["web"]
    assert 0.5 < link["match_probability"] < 1 and link["rule"] == "co_observed"

    page = client.get(f"/v1/customers/{c1}/lineage", params={"offset": 1, "limit": 1}).json()
    assert [r["record_id"] for s in page["sources"] for r in s["records"]] == ["2"]
    assert len(page["links"]) == 1 and page["total_links"] == 3


def test_unknown_customer_is_404_everywhere(client) -> None:
    for path in ("", "/history", "/lineage"):
        response = client.get(f"/v1/customers/C-nope{path}")
        assert response.status_code == 404, path
        assert "C-nope" in response.json()["detail"]
    assert client.get("/v1/customers/C-nope", params={"as_of": "yesterday"}).status_code == 422
