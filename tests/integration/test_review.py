"""The review queue: doubtful pairs and close policy splits listed with their evidence;
decisions become signed overrides that take effect at once and survive rematch and
recluster."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.integration

JON = "record:crm|1"
JOHN = "record:shop|7"


def rec(source: str, rid: str, *ids: tuple[str, str], **attributes: str) -> dict[str, Any]:
    return {
        "source": source,
        "record_id": rid,
        "observed_at": "2026-11-01T12:00:00Z",
        "identifiers": [{"kind": k, "value": v} for k, v in ids],
        "attributes": attributes,
    }


def post(client, *records: dict[str, Any]) -> None:
    response = client.post("/v1/records", json={"records": list(records)})
    assert response.status_code == 200, response.text


def customer(client, key: str) -> str | None:
    kind, value = key.split(":", 1)
    response = client.post("/v1/lookup", json={"kind": kind, "value": value})
    assert response.status_code == 200, response.text
    return response.json()["customer_id"]


def look_alikes(client) -> None:
    """Two records with no identifier in common that look alike (p about 0.73)."""
    post(
        client,
        rec(
            "crm",
            "1",
            first_name="Jon",
            last_name="Smyth",
            birth_date="1990-02-01",
            postcode="94110",
        ),
        rec(
            "shop",
            "7",
            first_name="John",
            last_name="Smith",
            birth_date="1990-02-01",
            postcode="94110",
        ),
    )


def queue(client, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/review", params=params, headers=auth("reader"))
    assert response.status_code == 200, response.text
    return response.json()


def test_grey_pair_listed_with_evidence_then_rejected_for_good(client, services) -> None:
    look_alikes(client)
    assert customer(client, JON) == customer(client, JOHN)
    page = queue(client)
    [item] = [i for i in page["items"] if {i["a"], i["b"]} == {JON, JOHN}]
    assert item["kind"] == "pair"
    assert page["grey_zone"][0] <= item["match_probability"] <= page["grey_zone"][1]
    assert item["customer_a"] == item["customer_b"]
    [evidence] = item["evidence"]
    assert evidence["rule"] == "fellegi_sunter"
    assert evidence["record_pairs"][0]["comparison"]["birth_date"]["level"] == "exact"

    decision = {
        "a": item["a"],
        "b": item["b"],
        "decision": "different",
        "reason": "two people: different mothers' names",
        "analyst": "ana",
    }
    denied = client.post("/v1/review/decisions", json=decision, headers=auth("reader"))
    assert denied.status_code == 403
    made = client.post("/v1/review/decisions", json=decision)
    assert made.status_code == 201, made.text
    override = made.json()
    assert override["actor"].startswith("admin key sha256=") and override["actor"].endswith("(ana)")
    assert override["customer_a"] != override["customer_b"]  # at once
    assert customer(client, JON) != customer(client, JOHN)
    assert not [i for i in queue(client)["items"] if {i["a"], i["b"]} == {JON, JOHN}]
    again = client.post("/v1/review/decisions", json=decision)
    assert again.status_code == 409

    services.models.rematch()
    assert customer(client, JON) != customer(client, JOHN)
    report = services.reclustering.recluster()
    assert report.differing_identifiers == 0
    assert customer(client, JON) != customer(client, JOHN)


def test_grey_pair_accepted_as_same_survives_recluster(client, services) -> None:
    look_alikes(client)
    made = client.post(
        "/v1/review/decisions",
        json={"a": JON, "b": JOHN, "decision": "same", "reason": "confirmed"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["decision"] == "same"
    services.models.rematch()
    assert services.reclustering.recluster().differing_identifiers == 0
    assert customer(client, JON) == customer(client, JOHN)
    assert not queue(client)["items"]


def test_close_policy_split_listed_and_an_analyst_can_overrule_it(client, services) -> None:
    # one email, two accounts of one source: the account policy cuts a 0.95 link
    post(
        client,
        rec("web", "1", ("email", "pat@x.com"), ("account", "u-1")),
        rec("web", "2", ("email", "pat@x.com"), ("account", "u-2")),
    )
    a1, a2 = "account:web/u-1", "account:web/u-2"
    assert customer(client, a1) != customer(client, a2)
    page = queue(client, kind="policy_split")
    [item] = page["items"]
    assert {item["a"], item["b"]} == {a1, a2}
    assert item["policy"] == "at most 1 account per source per customer"
    assert item["match_probability"] >= 0.9 and item["evidence"]
    assert all(e["a"] == "email:pat@x.com" or e["b"] == "email:pat@x.com" for e in item["evidence"])
    assert queue(client, kind="pair")["items"] == []

    # the analyst looked: one person with two logins. The must-link outranks the policy.
    same = {"a": a1, "b": a2, "decision": "same", "reason": "one person, two logins"}
    made = client.post("/v1/review/decisions", json=same)
    assert made.status_code == 201, made.text
    assert customer(client, a1) == customer(client, a2)
    assert queue(client)["total"] == 0
    services.models.rematch()
    assert services.reclustering.recluster().differing_identifiers == 0
    assert customer(client, a1) == customer(client, a2)


def test_close_policy_split_confirmed_as_different(client, services) -> None:
    post(
        client,
        rec("web", "1", ("email", "pat@x.com"), ("account", "u-1")),
        rec("web", "2", ("email", "pat@x.com"), ("account", "u-2")),
    )
    a1, a2 = "account:web/u-1", "account:web/u-2"
    confirm = {"a": a1, "b": a2, "decision": "different", "reason": "two people, one email"}
    made = client.post("/v1/review/decisions", json=confirm)
    assert made.status_code == 201, made.text
    assert customer(client, a1) != customer(client, a2)
    assert queue(client)["total"] == 0
    assert services.reclustering.recluster().differing_identifiers == 0


def test_paging_bounds_name_the_field(client) -> None:
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**12}, "offset"),
        ({"kind": "nope"}, "kind"),
    ):
        response = client.get("/v1/review", params=params)
        assert response.status_code == 422, params
        assert response.json()["detail"][0]["loc"] == ["query", field]
    bad = client.post(
        "/v1/review/decisions",
        json={"a": "email", "b": "email:b@x.com", "decision": "same", "reason": "r"},
    )
    assert bad.status_code == 422
