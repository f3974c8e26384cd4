"""GET /v1/explain against the real Neo4j: every verdict, from the stored evidence."""

from __future__ import annotations

import pytest

from app.bootstrap import Services
from graph_models.records import SourceRecord

pytestmark = pytest.mark.integration


def rec(source: str, rid: str, *ids: tuple[str, str]) -> SourceRecord:
    return SourceRecord.model_validate(
        {
            "source": source,
            "record_id": rid,
            "observed_at": "2026-11-01T12:00:00Z",
            "identifiers": [{"kind": k, "value": v} for k, v in ids],
        }
    )


def explain(client, a: str, b: str) -> dict:
    response = client.get("/v1/explain", params={"a": a, "b": b})
    assert response.status_code == 200, response.text
    return response.json()


def test_same_customer_path_weakest_link_and_counterfactual(client, services) -> None:
    services.ingestion.ingest(
        [
            rec("crm", "1", ("email", "a@x.com"), ("phone", "4155550101")),
            rec("web", "2", ("phone", "4155550101"), ("cookie", "ck")),
        ]
    )
    out = explain(client, "email:A@X.com", "cookie:ck")
    assert out["same_customer"] and out["verdict"] == "same_customer"
    assert out["path"] == ["email:a@x.com", "phone:+14155550101", "cookie:ck"]
    assert [link["records"] for link in out["links"]] == [["crm|1"], ["web|2"]]
    assert out["weakest_link"]["records"] == ["web|2"]  # cookie links are weaker
    cf = out["counterfactual"]
    assert {(c["a"], c["b"]) for c in cf["critical_links"]} == {
        ("email:a@x.com", "phone:+14155550101"),
        ("phone:+14155550101", "cookie:ck"),
    }
    assert cf["critical_identifiers"] == ["phone:+14155550101"]
    assert "web|2" not in out["summary"] and "cookie:ck" in out["summary"]


def test_two_independent_paths_need_a_minimum_cut(client, services) -> None:
    services.ingestion.ingest(
        [
            rec("crm", "1", ("email", "m@x.com"), ("phone", "4155550111")),
            rec("crm", "2", ("email", "m@x.com"), ("phone", "4155550112")),
            rec("web", "3", ("phone", "4155550111"), ("cookie", "k2")),
            rec("web", "4", ("phone", "4155550112"), ("cookie", "k2")),
        ]
    )
    cf = explain(client, "email:m@x.com", "cookie:k2")["counterfactual"]
    assert cf["critical_links"] == [] and cf["critical_identifiers"] == []
    assert len(cf["minimum_cut"]) == 2
    assert "No single link" in cf["summary"]


def test_policy_split_names_the_policy_and_cut(client, services) -> None:
    services.ingestion.ingest(
        [
            rec("web", "a1", ("account", "alice"), ("cookie", "ca")),
            rec("web", "b1", ("account", "bob"), ("cookie", "cb")),
            rec("web", "t1", ("device", "tablet"), ("cookie", "ca")),
            rec("web", "t2", ("device", "tablet"), ("cookie", "cb")),
        ]
    )
    out = explain(client, "account:web/alice", "account:web/bob")
    assert not out["same_customer"] and out["verdict"] == "policy_split"
    assert out["split"]["rule"] == "at most 1 account per source per customer"
    assert out["split"]["separated"] == ["account:web/alice", "account:web/bob"]
    cut = out["split"]["cut_links"]
    assert cut and all("device:tablet" in (c["a"], c["b"]) for c in cut)
    assert out["path"][0] == "account:web/alice" and out["path"][-1] == "account:web/bob"


def test_cannot_link_override_is_named(client, services) -> None:
    services.ingestion.ingest([rec("crm", "1", ("email", "o@x.com"), ("phone", "4155550121"))])
    created = client.post(
        "/v1/overrides",
        json={
            "a": "email:o@x.com",
            "b": "phone:4155550121",
            "decision": "different",
            "reason": "shared office line",
            "actor": "ops",
        },
    )
    assert created.status_code == 201, created.text
    out = explain(client, "email:o@x.com", "phone:4155550121")
    assert out["verdict"] == "override" and "shared office line" in out["split"]["rule"]


def test_joined_only_through_a_shared_identifier(client, services) -> None:
    services.ingestion.ingest(
        [
            rec("callcentre", f"c{n}", ("phone", f"+1415555{n:04d}"), ("phone", "+14159000000"))
            for n in range(8)
        ]
    )
    out = explain(client, "phone:+14155550000", "phone:+14155550001")
    assert out["verdict"] == "shared_identifier" and not out["same_customer"]
    assert [s["key"] for s in out["shared_identifiers"]] == ["phone:+14159000000"]
    assert "distinct phone" in out["shared_identifiers"][0]["shared_reason"]
    assert out["path"] == ["phone:+14155550000", "phone:+14159000000", "phone:+14155550001"]


def test_weak_link_below_threshold(client, store, neo4j_settings) -> None:
    strict = Services.over(store, neo4j_settings.model_copy(update={"join_threshold": 0.82}))
    strict.ingestion.ingest([rec("web", "1", ("device", "d1"), ("cookie", "k9"))])  # p = 0.80
    explanation = strict.explanations.explain("device:d1", "cookie:k9")
    assert explanation.verdict == "weak_link"
    assert explanation.weakest_link is not None and explanation.weakest_link.below_threshold
    assert explanation.weakest_link.records == ["web|1"]


def test_no_path_and_errors(client, services) -> None:
    services.ingestion.ingest(
        [
            rec("crm", "1", ("email", "p@x.com")),
            rec("crm", "2", ("email", "q@x.com")),
        ]
    )
    assert explain(client, "email:p@x.com", "email:q@x.com")["verdict"] == "no_path"
    missing = client.get("/v1/explain", params={"a": "email:p@x.com", "b": "email:zz@x.com"})
    assert missing.status_code == 404 and "b:" in missing.json()["detail"]
    bad = client.get("/v1/explain", params={"a": "p@x.com", "b": "email:q@x.com"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "a"]
    same = client.get("/v1/explain", params={"a": "email:p@x.com", "b": "email:P@x.com"})
    assert same.status_code == 422
