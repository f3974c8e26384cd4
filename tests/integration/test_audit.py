"""The audit log against the real Neo4j: every write and privacy action leaves one entry
naming who, what (ids and counts only), when and how it ended; GET /v1/audit pages it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from app.api.deps import ReaderDep
from app.audit.commands import cli_actor
from app.audit.http import audited
from app.audit.service import make_entry
from app.core import metrics
from graph_models.audit import AuditFilter, Channel
from tests.conftest import API_KEYS, auth

pytestmark = pytest.mark.integration

JANE = {
    "source": "crm",
    "record_id": "A-1",
    "identifiers": [
        {"kind": "email", "value": "Jane.Doe@Example.com"},
        {"kind": "phone", "value": "+1 (415) 555-0100"},
    ],
    "attributes": {"first_name": "Janelle", "last_name": "Doerwald", "postcode": "94110"},
}
# A source that uses the email as its record id: the record ref holds the value itself.
JANE_WEB = {
    "source": "web",
    "record_id": "jane.doe@example.com",
    "identifiers": [{"kind": "email", "value": "jane.doe@example.com"}],
}
BOB = {
    "source": "crm",
    "record_id": "B-1",
    "identifiers": [{"kind": "email", "value": "bob@example.com"}],
    "attributes": {"first_name": "Bob"},
}
JANE_VALUES = ("jane.doe@example.com", "Jane.Doe", "+14155550100", "555-0100", "Janelle")


def key_name(role: str) -> str:
    return f"{role} key sha256={hashlib.sha256(API_KEYS[role].encode()).hexdigest()[:8]}"


def entries(client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/audit", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def only(client, **params: Any) -> dict[str, Any]:
    found = entries(client, **params)
    assert len(found) == 1, found
    return found[0]


def audit_dump(store) -> str:
    rows = store.driver.execute_query("MATCH (a:AuditEntry) RETURN properties(a) AS p").records
    return repr([r["p"] for r in rows])


def test_each_kind_of_write_is_audited_with_actor_targets_and_outcome(client) -> None:
    posted = client.post("/v1/records", json={"records": [JANE, BOB]}, headers=auth("writer"))
    assert posted.status_code == 200, posted.text
    jane, bob = (r["customer_id"] for r in posted.json()["results"])
    ingest = only(client, action="post_records")
    assert ingest["actor"] == key_name("writer") and ingest["role"] == "writer"
    assert ingest["channel"] == "api" and ingest["route"] == "POST /v1/records"
    assert ingest["outcome"] == "ok" and ingest["status"] == 200
    assert ingest["request_id"] == posted.headers["x-request-id"]
    assert {"record:crm|A-1", "record:crm|B-1", f"customer:{jane}", f"customer:{bob}"} <= set(
        ingest["targets"]
    )
    assert ingest["counts"]["records"] == 2 and ingest["counts"]["changes"] == 2

    made = client.post(
        "/v1/overrides",
        json={
            "a": "email:jane.doe@example.com",
            "b": "email:bob@example.com",
            "decision": "different",
            "reason": "checked",
            "actor": "ops",
        },
    ).json()
    override = only(client, action="create_override")
    assert override["actor"] == key_name("admin")
    assert set(override["targets"]) == {
        f"override:{made['override_id']}",
        f"customer:{jane}",
        f"customer:{bob}",
    }
    assert client.delete(f"/v1/overrides/{made['override_id']}").status_code == 200
    undone = only(client, action="delete_override")
    assert f"override:{made['override_id']}" in undone["targets"]
    assert undone["route"] == "DELETE /v1/overrides/{override_id}"

    decided = client.post(
        "/v1/review/decisions",
        json={
            "a": "email:jane.doe@example.com",
            "b": "email:bob@example.com",
            "decision": "different",
            "reason": "looked",
        },
    )
    assert decided.status_code == 201, decided.text
    review = only(client, action="review_decision")
    assert f"override:{decided.json()['override_id']}" in review["targets"]

    hook = client.post("/v1/webhooks", json={"url": "https://crm.example.com/hook"}).json()
    assert only(client, action="create_webhook")["targets"] == [f"webhook:{hook['webhook_id']}"]
    client.delete(f"/v1/webhooks/{hook['webhook_id']}")
    assert only(client, action="delete_webhook")["targets"] == [f"webhook:{hook['webhook_id']}"]

    erased = client.delete("/v1/identifiers/email/bob@example.com").json()
    erasure = only(client, action="erase_identifier")
    assert erasure["route"] == "DELETE /v1/identifiers/{kind}/{value:path}"
    assert f"subject:{erased['subject'][:16]}" in erasure["targets"]
    assert erasure["counts"]["identifiers_erased"] == 1
    assert client.delete(f"/v1/customers/{jane}").status_code == 200
    assert f"customer:{jane}" in only(client, action="erase_customer")["targets"]
    # Newest first: the last action comes first.
    assert [e["action"] for e in entries(client)][:2] == ["erase_customer", "erase_identifier"]


def test_reads_are_not_audited(client) -> None:
    client.post("/v1/records", json={"records": [JANE]})
    ref = {"kind": "email", "value": "jane.doe@example.com"}
    assert client.get("/v1/lookup", params=ref).status_code == 200
    assert client.post("/v1/lookup", json=ref).status_code == 200
    what_if = client.post("/v1/what-if", json={"erase": ["email:jane.doe@example.com"]})
    assert what_if.status_code in (200, 422), what_if.text
    client.get("/v1/audit")
    assert [e["action"] for e in entries(client)] == ["post_records"]


def test_failed_and_refused_requests_are_audited_with_their_outcome(client) -> None:
    bad = {**JANE, "identifiers": [{"kind": "email", "value": "jane.doe@@example"}]}
    assert client.post("/v1/records", json={"records": [bad]}).status_code == 422
    unparsed = client.post("/v1/records", json={"records": [{"record_id": "no-source"}]})
    assert unparsed.status_code == 422
    failed = entries(client, outcome="invalid_input")
    assert [(e["action"], e["status"]) for e in failed] == [("post_records", 422)] * 2
    assert all(e["targets"] == [] for e in failed)

    assert client.delete("/v1/overrides/O-0000000000000000").status_code == 404
    assert only(client, outcome="not_found")["targets"] == ["override:O-0000000000000000"]
    # An id that is not of idgraph's shape may be anything the caller typed: withheld.
    assert client.delete("/v1/customers/jane.doe@example.com").status_code == 404
    assert only(client, action="erase_customer")["targets"] == ["customer:[withheld]"]

    denied = client.delete("/v1/customers/C-0000000000000000", headers=auth("writer"))
    assert denied.status_code == 403
    forbidden = only(client, outcome="forbidden")
    assert forbidden["actor"] == key_name("writer") and forbidden["action"] == "erase_customer"

    # Without a recognised key nothing is written (anyone could fill the log).
    anonymous = client.post("/v1/records", json={"records": [JANE]}, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert len(entries(client)) == 5
    assert "jane.doe@@example" not in audit_dump(client.app.state.store)


def test_only_admin_keys_read_the_audit_log(client) -> None:
    for role in ("reader", "writer"):
        assert client.get("/v1/audit", headers=auth(role)).status_code == 403
    assert client.get("/v1/audit", headers={"Authorization": ""}).status_code == 401
    assert client.get("/v1/audit").status_code == 200


def test_paging_newest_first_and_filters(client, services) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(7):
        services.audit.record(
            make_entry(
                channel=Channel.CLI,
                actor="cli:ana" if n % 2 else "cli:bo",
                action="load" if n < 5 else "rematch",
                outcome="ok" if n != 3 else "failure",
                targets=[f"customer:C-{n:016x}"],
                at=start + timedelta(minutes=n),
            )
        )
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/audit", params=params).json()
        seen.append([e["targets"][0][-1] for e in page["entries"]])
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [["6", "5", "4"], ["3", "2", "1"], ["0"]]

    def picked(**params: Any) -> list[str]:
        return [e["targets"][0][-1] for e in entries(client, **params)]

    assert picked(action="rematch") == ["6", "5"]
    assert picked(actor="cli:ana") == ["5", "3", "1"]
    assert picked(outcome="failure") == ["3"]
    assert picked(target="customer:C-0000000000000002") == ["2"]
    assert picked(since="2026-01-01T00:02:00Z", until="2026-01-01T00:04:00Z") == ["3", "2"]
    assert picked(since="2026-01-01T01:02:00+01:00", action="load") == ["4", "3", "2"]
    for params, field in (
        ({"cursor": "nonsense"}, "cursor"),
        ({"outcome": "great"}, "outcome"),
        ({"limit": 0}, "limit"),
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ({"until": "0001-01-01T00:00:00+01:00"}, "until"),
    ):
        response = client.get("/v1/audit", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["detail"][0]["loc"] == ["query", field]


def test_a_retried_write_of_one_entry_stores_it_once(services) -> None:
    entry = make_entry(channel=Channel.CLI, actor="cli", action="load", outcome="ok")
    services.audit.record(entry)
    services.audit.record(entry)
    assert [e.audit_id for e in services.audit.page(AuditFilter()).entries] == [entry.audit_id]


def test_no_key_material_and_no_personal_values_and_erasure_is_audited(client) -> None:
    posted = client.post("/v1/records", json={"records": [JANE, JANE_WEB, BOB]})
    jane = posted.json()["results"][0]["customer_id"]
    client.post(
        "/v1/overrides",
        json={
            "a": "email:jane.doe@example.com",
            "b": "phone:+14155550100",
            "decision": "same",
            "reason": "same person",
            "actor": "ops",
        },
    )
    client.delete("/v1/identifiers/phone/+1 (415) 555-0100")  # a value in the path
    store = client.app.state.store
    before = audit_dump(store)
    assert "record:web|jane.doe@example.com" in before  # the source's own id, until erased
    assert client.delete(f"/v1/customers/{jane}").status_code == 200

    dump = audit_dump(store)
    assert [v for v in JANE_VALUES if v.lower() in dump.lower()] == []
    assert "record:crm|B-1" in dump  # others' refs stay
    for key in API_KEYS.values():
        assert key not in dump and hashlib.sha256(key.encode()).hexdigest() not in dump
    erasure = only(client, action="erase_customer")
    assert erasure["outcome"] == "ok" and f"customer:{jane}" in erasure["targets"]
    assert erasure["actor"] == key_name("admin")


def test_a_marked_get_route_is_audited_as_a_privacy_action(store, api_settings) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(api_settings)

    @app.get("/v1/customers/{customer_id}/export-test")
    @audited("customer.export")
    def export(customer_id: str, _: ReaderDep) -> dict[str, str]:
        return {"customer_id": customer_id}

    @app.post("/v1/customers/{customer_id}/broken-test")
    def broken(customer_id: str, _: ReaderDep) -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/v1/customers/C-00000000000000aa/export-test", headers=auth("reader"))
        assert answer.status_code == 200
        client.get("/v1/customers/C-00000000000000aa", headers=auth("reader"))  # not marked
        failed = client.post("/v1/customers/C-00000000000000aa/broken-test", headers=auth("reader"))
        assert failed.status_code == 500
        listed = client.get("/v1/audit", headers=auth("admin")).json()["entries"]
    assert [(e["action"], e["actor"], e["outcome"], e["status"]) for e in listed] == [
        ("broken", key_name("reader"), "failure", 500),
        ("customer.export", key_name("reader"), "ok", 200),
    ]
    assert listed[1]["targets"] == ["customer:C-00000000000000aa"]


def test_an_audit_write_that_fails_leaves_the_answer_as_it_was(client, monkeypatch) -> None:
    from app.audit.service import AuditService

    async def broken(self, entry) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(AuditService, "record_async", broken)
    failures = metrics.AUDIT_WRITE_FAILURES._value.get()
    posted = client.post("/v1/records", json={"records": [BOB]})
    assert posted.status_code == 200, posted.text
    assert metrics.AUDIT_WRITE_FAILURES._value.get() == failures + 1
    monkeypatch.undo()
    lookup = client.post("/v1/lookup", json={"kind": "email", "value": "bob@example.com"})
    assert lookup.status_code == 200  # the data was stored
    assert entries(client) == []


def test_cli_commands_are_audited_with_the_os_user(cli_env, tmp_path) -> None:
    from app.cli import app

    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (JANE, BOB)) + "\n")
    assert CliRunner().invoke(app, ["ingest", str(path)]).exit_code == 0
    broken = tmp_path / "model.json"
    broken.write_text("{}")
    assert CliRunner().invoke(app, ["model", "load", str(broken)]).exit_code == 1

    listed = CliRunner().invoke(app, ["audit", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines() if line.startswith("{")]
    assert [(r["action"], r["outcome"], r["status"]) for r in rows] == [
        ("model load", "failure", 1),
        ("ingest", "ok", 0),
    ]
    assert all(r["actor"] == cli_actor() and r["channel"] == "cli" for r in rows)
    assert rows[1]["counts"] == {"files": 1, "records": 2, "bad_rows": 0}

    table = CliRunner().invoke(app, ["audit", "--action", "ingest"])
    assert table.exit_code == 0 and "ingest" in table.output and "model load" not in table.output
    bad = CliRunner().invoke(app, ["audit", "--since", "yesterday"])
    assert bad.exit_code == 1 and "--since" in bad.output
    wrong = CliRunner().invoke(app, ["audit", "--outcome", "great"])
    assert wrong.exit_code == 1 and "outcome" in wrong.output
