"""What-if: predictions from the live graph write nothing, and applying the change then
gives exactly the predicted customers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.integration


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


def dump(driver) -> tuple[list[Any], list[Any]]:
    """Every node and relationship with its labels or type and all its properties."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props"
    )
    rels, _, _ = driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN elementId(r) AS id, type(r) AS type, elementId(a) AS a, "
        "elementId(b) AS b, properties(r) AS props"
    )
    return sorted(repr(sorted(r.data().items())) for r in nodes), sorted(
        repr(sorted(r.data().items())) for r in rels
    )


def customers(driver) -> dict[str, str | None]:
    rows, _, _ = driver.execute_query(
        "MATCH (i:Identifier) OPTIONAL MATCH (i)-[:BELONGS_TO]->(c:Customer) "
        "RETURN i.key AS key, c.customer_id AS customer_id"
    )
    return {r["key"]: r["customer_id"] for r in rows}


def what_if(client, driver, body: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/what-if with a reader key, checking that the graph did not change at all."""
    before = dump(driver)
    response = client.post("/v1/what-if", json=body, headers=auth("reader"))
    assert response.status_code == 200, response.text
    assert dump(driver) == before, "what-if wrote to the database"
    prediction = response.json()
    assert prediction["written"] is False
    return prediction


def assert_applied(
    prediction: dict[str, Any], before: dict[str, Any], after: dict[str, Any]
) -> None:
    """The identifiers whose customer changed are exactly the predicted ones, each in the
    predicted customer (a predicted new-N is one new id, the same for all its members)."""
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {m["key"] for m in prediction["moved"]}
    new_ids: dict[str, str] = {}
    for move in prediction["moved"]:
        actual = after.get(move["key"])
        if move["after"] is None:
            assert actual is None, move
        elif move["after"].startswith("new-"):
            assert actual not in before.values(), move
            assert new_ids.setdefault(move["after"], actual) == actual, move
        else:
            assert actual == move["after"], move
    assert len(set(new_ids.values())) == len(new_ids)
    for outcome in prediction["customers"]:
        ids = {after[k] for k in outcome["identifiers"]}
        assert len(ids) == 1, outcome
        expected = new_ids.get(outcome["customer_id"], outcome["customer_id"])
        assert ids == {expected}, outcome


def test_override_same_predicts_the_merge(client, driver) -> None:
    post(client, rec("crm", "1", ("email", "a@x.com"), ("phone", "4155550101")))
    post(client, rec("crm", "2", ("email", "b@x.com"), ("phone", "4155550102")))
    before = customers(driver)
    body = {"a": "email:a@x.com", "b": "email:b@x.com", "decision": "same"}
    prediction = what_if(client, driver, {"override": body})
    ca, cb = before["email:a@x.com"], before["email:b@x.com"]
    [merge] = prediction["merges"]
    assert sorted(merge) == sorted([ca, cb])
    assert len(prediction["moved"]) == 2  # the younger customer's two identifiers
    created = client.post("/v1/overrides", json={**body, "reason": "test", "actor": "t"})
    assert created.status_code == 201, created.text
    assert_applied(prediction, before, customers(driver))


def test_override_different_predicts_the_split(client, driver) -> None:
    post(
        client,
        rec("crm", "1", ("email", "a@x.com"), ("phone", "4155550101")),
        rec("web", "2", ("phone", "4155550101"), ("cookie", "ck-1")),
        rec("web", "3", ("cookie", "ck-1"), ("device", "dev-1")),
    )
    before = customers(driver)
    assert len(set(before.values())) == 1
    body = {"a": "email:a@x.com", "b": "device:dev-1", "decision": "different"}
    prediction = what_if(client, driver, {"override": body})
    [(parent, parts)] = prediction["splits"].items()
    assert parent == before["email:a@x.com"] and len(parts) == 2
    created = client.post("/v1/overrides", json={**body, "reason": "test", "actor": "t"})
    assert created.status_code == 201, created.text
    assert_applied(prediction, before, customers(driver))


def test_quarantine_predicts_the_split(client, driver, services) -> None:
    post(
        client,
        rec("crm", "1", ("email", "a@x.com"), ("phone", "4155550199")),
        rec("crm", "2", ("email", "b@x.com"), ("phone", "4155550199")),
    )
    before = customers(driver)
    assert len(set(before.values())) == 1
    prediction = what_if(client, driver, {"quarantine": "phone:+14155550199"})
    assert prediction["quarantined"] == ["phone:+14155550199"]
    assert prediction["splits"], prediction

    def apply(unit):  # what recluster does when the shared rule flips an identifier
        key = "phone:+14155550199"
        unit.set_shared([{"key": key, "shared": True, "reason": "by hand"}])
        return services.engine.resolver.reevaluate(unit, {key}, datetime.now(UTC))

    services.store.in_write_transaction(apply)
    assert_applied(prediction, before, customers(driver))


def test_new_record_bridging_two_customers(client, driver) -> None:
    post(client, rec("crm", "1", ("email", "a@x.com"), ("phone", "4155550101")))
    post(client, rec("crm", "2", ("email", "b@x.com"), ("phone", "4155550102")))
    before = customers(driver)
    bridge = rec("web", "9", ("email", "a@x.com"), ("email", "B@X.com"), ("cookie", "ck-9"))
    prediction = what_if(client, driver, {"add_record": bridge})
    assert len(prediction["merges"]) == 1
    assert {"cookie:ck-9"} <= {m["key"] for m in prediction["moved"]}
    assert prediction["exact"] is True
    post(client, bridge)
    assert_applied(prediction, before, customers(driver))


def test_new_look_alike_record_joins_by_similarity(client, driver) -> None:
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
    )
    before = customers(driver)
    # no identifier in common (none at all): only their attributes can join them
    lookalike = rec(
        "shop", "7", first_name="John", last_name="Smith", birth_date="1990-02-01", postcode="94110"
    )
    prediction = what_if(client, driver, {"add_record": lookalike})
    [outcome] = prediction["customers"]
    assert set(outcome["identifiers"]) == {"record:crm|1", "record:shop|7"}
    post(client, lookalike)
    assert_applied(prediction, before, customers(driver))


def test_new_record_that_makes_an_identifier_shared(client, driver) -> None:
    post(
        client,
        *(
            rec("support", f"s{n}", ("email", f"u{n}@x.com"), ("phone", "4155550199"))
            for n in range(1, 6)
        ),
    )
    before = customers(driver)
    sixth = rec("support", "s6", ("email", "u6@x.com"), ("phone", "4155550199"))
    prediction = what_if(client, driver, {"add_record": sixth})
    assert prediction["quarantined"] == ["phone:+14155550199"]
    post(client, sixth)
    assert_applied(prediction, before, customers(driver))


def test_stored_record_changes_nothing_and_bad_input_names_the_field(client, driver) -> None:
    first = rec("crm", "1", ("email", "a@x.com"), ("phone", "4155550101"))
    post(client, first)
    assert what_if(client, driver, {"add_record": first})["moved"] == []
    two = client.post("/v1/what-if", json={"quarantine": "email:a@x.com", "erase": "email:a@x.com"})
    assert two.status_code == 422 and two.json()["detail"][0]["loc"] == ["body"]
    bad = client.post("/v1/what-if", json={"quarantine": "email"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "quarantine"]
    missing = client.post("/v1/what-if", json={"quarantine": "email:nobody@x.com"})
    assert missing.status_code == 404
    bad_record = client.post(
        "/v1/what-if", json={"add_record": rec("crm", "2", ("email", "not-an-email"))}
    )
    assert bad_record.status_code == 422
    assert bad_record.json()["detail"][0]["loc"][:2] == ["body", "add_record"]
    assert client.post("/v1/what-if", json={"quarantine": "email:a@x.com"}, headers={}).status_code


def test_erase_predicts_the_split_and_the_deletion(client, driver) -> None:
    # the email holds the customer together: erasing it leaves the phone and the cookie
    # apart, and the record that had only the email and the device re-anchors on the device
    post(
        client,
        rec("crm", "1", ("email", "a@x.com"), ("phone", "4155550101")),
        rec("web", "2", ("email", "a@x.com"), ("cookie", "ck-1")),
        rec("web", "3", ("email", "a@x.com"), ("device", "dev-1"), ("cookie", "ck-2")),
        rec("crm", "4", ("email", "b@x.com"), ("phone", "4155550102")),
    )
    before = customers(driver)
    prediction = what_if(client, driver, {"erase": "email:a@x.com"})
    assert {"key": "email:a@x.com", "before": before["email:a@x.com"], "after": None} in (
        prediction["moved"]
    )
    assert prediction["splits"], prediction
    erased = client.delete("/v1/identifiers/email/a@x.com")
    assert erased.status_code == 200, erased.text
    after = customers(driver)
    assert "email:a@x.com" not in after
    assert_applied(prediction, before, after)
    assert after["device:dev-1"] == after["cookie:ck-2"]  # re-anchored: linked now


def test_erase_takes_the_look_alike_evidence_with_the_attributes(client, driver) -> None:
    # crm|1 (an email and a phone, with attributes) looks like shop|7 (no identifier):
    # erasing the phone scrubs crm|1's attributes, so the look-alike link goes too
    post(
        client,
        rec(
            "crm",
            "1",
            ("email", "jon@x.com"),
            ("phone", "4155550101"),
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
    before = customers(driver)
    assert before["record:shop|7"] == before["email:jon@x.com"]
    prediction = what_if(client, driver, {"erase": "phone:+14155550101"})
    assert "record:shop|7" in {m["key"] for m in prediction["moved"]}
    assert client.delete("/v1/identifiers/phone/4155550101").status_code == 200
    after = customers(driver)
    assert after["record:shop|7"] != after["email:jon@x.com"]
    assert_applied(prediction, before, after)
