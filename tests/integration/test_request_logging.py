"""Request ids, JSON access logs without personal values, ``POST /v1/lookup``, paging bounds."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.conftest import API_KEYS, auth
from tests.log_capture import LogLines, capture_log_lines

pytestmark = pytest.mark.integration

PERSON = {
    "source": "crm",
    "record_id": "L-1",
    "observed_at": "2026-11-01T12:00:00Z",
    "identifiers": [
        {"kind": "email", "value": "Wilhelmina.Quartz@Example.org"},
        {"kind": "phone", "value": "+1 (415) 555-0177"},
    ],
    "attributes": {"first_name": "Wilhelmina", "last_name": "Quartzberg", "postcode": "94110"},
}
PERSONAL = [
    "Wilhelmina",
    "Quartz",
    "wilhelmina.quartz@example.org",
    "Example.org",
    "555-0177",
    "5550177",
    "415.555.0177",
    "%40",  # an email as it appears URL-encoded
]


@pytest.fixture
def log_lines(caplog: pytest.LogCaptureFixture) -> Iterator[LogLines]:
    caplog.set_level(logging.INFO)
    with capture_log_lines() as handler:
        yield handler


def test_logs_are_json_with_request_id_and_no_personal_values(client, log_lines, caplog) -> None:
    ingested = client.post("/v1/records", json={"records": [PERSON]})
    assert ingested.status_code == 200, ingested.text
    email = {"kind": "email", "value": "Wilhelmina.Quartz@Example.org"}
    by_get = client.get("/v1/lookup", params=email, headers={"X-Request-ID": "trace-42"})
    by_post = client.post("/v1/lookup", json={"kind": "phone", "value": "415.555.0177"})
    missing = client.get("/v1/lookup", params={"kind": "email", "value": "nobody@example.org"})
    assert by_get.status_code == by_post.status_code == 200
    assert missing.status_code == 404

    assert by_get.headers["X-Request-ID"] == "trace-42"
    ids = [r.headers["X-Request-ID"] for r in (ingested, by_post, missing)]
    assert all(ids) and len(set(ids)) == 3
    insane = client.get("/healthz", headers={"X-Request-ID": "a b\tc" + "x" * 100})
    assert insane.headers["X-Request-ID"] != "a b\tc" + "x" * 100

    lines = log_lines.lines()
    assert lines
    for line in lines:
        for value in [*PERSONAL, "nobody"]:
            assert value.lower() not in line.lower(), line
        json.loads(line)  # one JSON object per line
    for record in caplog.records:  # the raw records too, whatever the handler
        if not record.name.startswith(("httpx", "httpcore")):
            assert "quartz" not in record.getMessage().lower()

    access = [json.loads(line) for line in lines if '"idgraph.access"' in line]
    by_id = {entry["request_id"]: entry for entry in access}
    get_line = by_id["trace-42"]
    assert get_line["route"] == "/v1/lookup" and get_line["method"] == "GET"
    assert get_line["status"] == 200 and get_line["duration_ms"] >= 0
    assert get_line["api_key"].startswith("sha256=")
    assert by_id[by_post.headers["X-Request-ID"]]["method"] == "POST"
    assert by_id[missing.headers["X-Request-ID"]]["status"] == 404
    assert {"time", "level"} <= set(get_line)
    assert not any("test-admin-key" in line for line in lines)


def test_path_template_not_path_is_logged(client, log_lines) -> None:
    client.post("/v1/records", json={"records": [PERSON]})
    customer_id = client.post("/v1/lookup", json={"kind": "phone", "value": "+14155550177"})
    customer_id = customer_id.json()["customer_id"]
    assert client.get(f"/v1/customers/{customer_id}").status_code == 200
    assert client.get("/v1/no-such/wilhelmina.quartz@example.org").status_code == 404
    access = [json.loads(line) for line in log_lines.lines() if '"idgraph.access"' in line]
    routes = [entry["route"] for entry in access]
    assert "/v1/customers/{customer_id}" in routes and "<unmatched>" in routes
    assert not any(customer_id in line for line in log_lines.lines())


def test_post_lookup_answers_as_get(client) -> None:
    assert client.post("/v1/records", json={"records": [PERSON]}).status_code == 200
    for params in (
        {"kind": "email", "value": "WILHELMINA.QUARTZ@example.org"},
        {"kind": "phone", "value": "415 555 0177"},
        {"kind": "email", "value": "unknown@example.org"},
        {"kind": "email", "value": "not an email"},
    ):
        by_get = client.get("/v1/lookup", params=params)
        by_post = client.post("/v1/lookup", json=params)
        assert by_post.status_code == by_get.status_code, by_post.text
        if by_get.status_code == 422:  # the same refusal, each naming where the value was
            assert [e["loc"] for e in by_get.json()["detail"]] == [["query", "value"]]
            assert [e["loc"] for e in by_post.json()["detail"]] == [["body", "value"]]
            assert by_post.json()["detail"][0]["msg"] == by_get.json()["detail"][0]["msg"]
        else:
            assert by_post.json() == by_get.json()
    reader = {"Authorization": "Bearer test-reader-key"}
    body = {"kind": "phone", "value": "+14155550177"}
    assert client.post("/v1/lookup", json=body, headers=reader).status_code == 200
    assert client.post("/v1/lookup", json=body, headers={"Authorization": ""}).status_code == 401
    assert client.post("/v1/lookup", json={"kind": "email"}).status_code == 422


@pytest.mark.parametrize("path", ["lineage", "history"])
def test_huge_paging_values_are_422_not_500(client, path) -> None:
    client.post("/v1/records", json={"records": [PERSON]})
    customer_id = client.post("/v1/lookup", json={"kind": "phone", "value": "+14155550177"})
    customer_id = customer_id.json()["customer_id"]
    url = f"/v1/customers/{customer_id}/{path}"
    assert client.get(url, params={"offset": 0, "limit": 10}).status_code == 200
    for params, field in (({"offset": 10**30}, "offset"), ({"limit": 10**30}, "limit")):
        response = client.get(url, params=params)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["query", field]
    assert client.get(url, params={"offset": 1_000_000}).status_code == 200


def test_no_key_and_no_personal_value_in_any_log_line(
    api_settings: Settings, store, log_lines: LogLines
) -> None:
    """Every kind of request that carries personal values (query, path, body; answered 200,
    404, 409, 422, 413, 429) and keys (valid, invalid): none of them reaches a log line."""
    limited = api_settings.model_copy(update={"rate_limit": "40/minute", "max_body_bytes": 8192})
    email, phone = "Wilhelmina.Quartz@Example.org", "+1 (415) 555-0177"
    with TestClient(create_app(limited), headers=auth("admin")) as client:
        assert client.post("/v1/records", json={"records": [PERSON]}).status_code == 200
        statuses = [
            client.get("/v1/lookup", params={"kind": "email", "value": email}).status_code,
            client.get("/v1/lookup", params={"kind": "email", "value": "quartz@"}).status_code,
            client.post("/v1/lookup", json={"kind": "phone", "value": phone}).status_code,
            client.get(
                "/v1/explain",
                params={"a": f"email:{email}", "b": "phone:+14155550177"},
                headers=auth("reader"),
            ).status_code,
        ]
        override = {"a": f"email:{email}", "b": "phone:+14155550177", "decision": "different"}
        override |= {"reason": "Wilhelmina asked", "actor": "quartz.analyst@example.org"}
        statuses.append(client.post("/v1/overrides", json=override).status_code)
        statuses.append(client.post("/v1/overrides", json=override).status_code)
        statuses.append(
            client.post(
                "/v1/records",
                content=json.dumps({"records": [PERSON] * 40}),
                headers={"Content-Type": "application/json"},
            ).status_code
        )
        wrong_key = {"Authorization": "Bearer wilhelmina-quartz-secret"}
        email_body = {"kind": "email", "value": email}
        statuses.append(
            client.get(
                "/v1/lookup", params={"kind": "a", "value": "b"}, headers=wrong_key
            ).status_code
        )
        statuses.append(client.delete(f"/v1/identifiers/email/{email}").status_code)
        for _ in range(60):  # the admin key's 40 requests a minute run out
            statuses.append(client.post("/v1/lookup", json=email_body).status_code)
            if statuses[-1] == 429:
                break
    assert statuses[:9] == [200, 422, 200, 200, 201, 409, 413, 401, 200]
    assert set(statuses[9:-1]) == {404} and statuses[-1] == 429

    lines = log_lines.lines()
    assert any('"status": 429' in line for line in lines)
    secrets = [*API_KEYS.values(), "wilhelmina-quartz-secret", "Wilhelmina asked"]
    for line in lines:
        for value in [*PERSONAL, *secrets]:
            assert value.lower() not in line.lower(), (value, line)
