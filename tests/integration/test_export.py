"""Data-subject export against the real Neo4j: a full scan of what the graph stores about
the person finds nothing the export misses, and nothing of other people is in it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from pydantic import TypeAdapter
from typer.testing import CliRunner

from app.cli import app as cli
from tests.conftest import auth
from tests.integration.test_erasure import CALLERS, JANE, OTHER

pytestmark = pytest.mark.integration

WEB_FIRST = {  # Jane's web account before anything ties it to her email: a customer of its own
    "source": "web",
    "record_id": "w-1",
    "observed_at": "2026-10-01T08:00:00Z",
    "identifiers": [{"kind": "account", "value": "jd-77"}, {"kind": "device", "value": "dv-1"}],
}
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


def leaves(value: Any) -> set[str]:
    """Every leaf value (strings, numbers, booleans, times as the API writes them)."""
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, dict):
        return set().union(*(leaves(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(leaves(v) for v in value)) if value else set()
    if isinstance(value, datetime):
        return {json.dumps(_DATETIME.dump_python(value, mode="json"))}
    return {json.dumps(value)}


def full_scan(store: Any, customer_id: str) -> tuple[set[str], set[str]]:
    """Written apart from the export's queries: the person's records (those observing the
    customer's identifiers) and identifiers (the members and all those records observed);
    every property of those nodes, of every relationship touching them, of the customer
    and the ids merged into it, of overrides concerning them, of block keys they are
    filed under, and of every history event about the customer or naming one of its
    identifiers or records. Returns (values, other people's identifier keys)."""

    def rows(query: str, **params: Any) -> list[dict[str, Any]]:
        return [r.data() for r in store.driver.execute_query(query, params).records]

    (subject,) = rows(
        "MATCH (c:Customer {customer_id: $id})<-[:BELONGS_TO]-(m:Identifier) "
        "OPTIONAL MATCH (m)<-[:OBSERVED]-(r:Record)-[:OBSERVED]->(o:Identifier) "
        "RETURN collect(DISTINCT m.key) AS members, collect(DISTINCT r.key) AS records, "
        "collect(DISTINCT o.key) AS observed",
        id=customer_id,
    )
    records, members = subject["records"], subject["members"]
    identifiers = sorted(set(members) | set(subject["observed"]))
    found: list[Any] = []
    found += rows("MATCH (r:Record) WHERE r.key IN $keys RETURN properties(r) AS p", keys=records)
    found += rows(
        "MATCH (i:Identifier) WHERE i.key IN $keys RETURN properties(i) AS p", keys=identifiers
    )
    found += rows(
        "MATCH (n)-[rel]-(m) WHERE (n:Record AND n.key IN $records) "
        "OR (n:Identifier AND n.key IN $identifiers) RETURN properties(rel) AS p",
        records=records,
        identifiers=identifiers,
    )
    found += rows(
        "MATCH (:Record)-[:IN_BLOCK]->(b:Block) WHERE EXISTS { MATCH (r:Record)-[:IN_BLOCK]->(b) "
        "WHERE r.key IN $records } RETURN b.key AS p",
        records=records,
    )
    customers = rows(
        "MATCH (c:Customer {customer_id: $id})<-[:MERGED_INTO*0..50]-(m:Customer) "
        "RETURN m.customer_id AS id, properties(m) AS p",
        id=customer_id,
    )
    found += customers
    found += rows(
        "MATCH (o:Override)-[:CONCERNS]->(i:Identifier) WHERE i.key IN $keys "
        "RETURN properties(o) AS p",
        keys=identifiers,
    )
    found += rows(
        "MATCH (e:CustomerEvent) WHERE EXISTS { MATCH (e)-[:ABOUT]->(c:Customer) "
        "WHERE c.customer_id IN $ids } OR e.trigger_record IN $records "
        "OR any(k IN $members WHERE e.reason CONTAINS k) RETURN properties(e) AS p",
        ids=[c["id"] for c in customers],
        records=records,
        members=members,
    )
    others = {
        json.dumps(r["key"])
        for r in rows(
            "MATCH (i:Identifier) WHERE NOT i.key IN $keys RETURN i.key AS key", keys=identifiers
        )
    }
    return leaves([row["p"] for row in found]), others


def build(client: Any) -> str:
    """Jane's web account first on its own, then her CRM record, then the records that merge
    them; Bob; callers sharing a support line with her; an override with Bob."""
    jane_crm = {
        **JANE[0],
        "consent": [{"purpose": "marketing", "granted": False, "at": "2026-11-01T10:00:00Z"}],
    }
    for batch in ([WEB_FIRST], [jane_crm], [JANE[1], JANE[2], OTHER, *CALLERS]):
        assert client.post("/v1/records", json={"records": batch}).status_code == 200
    override = client.post(
        "/v1/overrides",
        json={
            "a": "email:jane.doe@example.com",
            "b": "email:bob@example.com",
            "decision": "different",
            "reason": "checked by phone",
            "actor": "ops",
        },
    )
    assert override.status_code == 201, override.text
    found = client.get("/v1/lookup", params={"kind": "email", "value": "jane.doe@example.com"})
    return str(found.json()["customer_id"])


def test_export_holds_everything_the_full_scan_finds(client, store) -> None:
    jane = build(client)
    response = client.get(f"/v1/customers/{jane}/export")
    assert response.status_code == 200, response.text
    document = response.json()
    sections = document["sections"]
    assert (
        set(sections)
        == set(document["about"])
        == {
            "customers",
            "records",
            "identifiers",
            "links",
            "history",
            "consent",
            "overrides",
        }
    )
    assert sections["consent"] == [
        {
            "record": "crm|A-1",
            "source": "crm",
            "purpose": "marketing",
            "granted": False,
            "at": "2026-11-01T10:00:00Z",
        }
    ]
    assert {r["key"] for r in sections["records"]} == {
        "crm|A-1",
        "web|w-1",
        "web|w-9",
        "callcentre|call-1",
    }
    crm = next(r for r in sections["records"] if r["key"] == "crm|A-1")
    assert crm["attributes"]["first_name"] == "Janelle" and crm["source"] == "crm"
    assert len(sections["customers"]) == 2  # the survivor and the id merged into it
    assert any(e["type"] == "merged" for e in sections["history"])
    assert sections["overrides"][0]["b"] == "[another person's identifier]"

    scanned, others = full_scan(store, jane)
    exported = leaves(document)
    missing = scanned - exported - others
    assert missing == set()
    assert len(scanned) > 80  # the scan did find the graph

    text = json.dumps(document)
    assert "bob@example.com" not in text and "Bob" not in text
    assert "+14155550200" not in text  # another caller of the shared support line

    # A merged-away id exports its survivor.
    merged = next(c["customer_id"] for c in sections["customers"] if c["status"] == "merged")
    again = client.get(f"/v1/customers/{merged}/export").json()
    assert again["current_id"] == jane and again["customer_id"] == merged


def test_export_needs_admin_and_an_existing_customer(client) -> None:
    jane = build(client)
    assert client.get(f"/v1/customers/{jane}/export", headers=auth("reader")).status_code == 403
    missing = client.get("/v1/customers/C-0000000000000000/export")
    assert missing.status_code == 404
    assert "C-0000000000000000" in missing.json()["detail"]


def test_cli_export_to_stdout_and_file(cli_env, client, tmp_path) -> None:
    jane = build(client)
    runner = CliRunner()
    printed = runner.invoke(cli, ["export", jane])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output)["current_id"] == jane
    out = tmp_path / "jane.json"
    written = runner.invoke(cli, ["export", jane, "--output", str(out)])
    assert written.exit_code == 0, written.output
    assert json.loads(out.read_text())["sections"]["records"]
    assert out.stat().st_mode & 0o777 == 0o600
    unknown = runner.invoke(cli, ["export", "C-nope"])
    assert unknown.exit_code == 1 and "no customer C-nope" in unknown.output
