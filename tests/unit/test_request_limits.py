"""Body size limit (413), rate limit per API key (429 + Retry-After), and 500 answers that
name the request id with a log line free of personal values. No database: Neo4j is named
at a closed port, and every request here is answered before the store is asked."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.live_server import live_server
from tests.log_capture import capture_log_lines

KEYS = "key-one-secret:admin,key-two-secret:reader"
ONE = {"Authorization": "Bearer key-one-secret"}
TWO = {"Authorization": "Bearer key-two-secret"}
LIMIT = 4096


def settings(**extra: object) -> Settings:
    values: dict[str, object] = {
        "api_keys": KEYS,
        "neo4j_uri": "bolt://127.0.0.1:9",  # nothing listens: no request here reaches it
        "neo4j_password": "unused",
        "max_body_bytes": LIMIT,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


# --- body size -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    with live_server(create_app(settings())) as address:
        yield address


def _exchange(address: tuple[str, int], head: str, parts: list[bytes]) -> tuple[int, dict, bytes]:
    """Send a request head and body parts over a raw socket, *without* finishing the body,
    and read the answer: it can only come if the server answers before the body ends."""
    with socket.create_connection(address, timeout=10) as conn:
        conn.sendall(head.encode("latin-1"))
        for part in parts:
            conn.sendall(part)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        raw_head, _, body = data.partition(b"\r\n\r\n")
        lines = raw_head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(lines[0].split()[1]), headers, body


def _head(address: tuple[str, int], framing: str) -> str:
    return (
        f"POST /v1/records HTTP/1.1\r\nHost: {address[0]}:{address[1]}\r\n"
        f"Authorization: Bearer key-one-secret\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n"
    )


def test_declared_body_over_the_limit_is_refused_before_it_is_sent(server) -> None:
    # Content-Length says 100 MB and not one byte of body follows: a server that read the
    # body first would wait (and the socket time out) instead of answering.
    status, headers, body = _exchange(server, _head(server, "Content-Length: 100000000"), [])
    assert status == 413
    answer = json.loads(body)
    assert answer["max_body_bytes"] == LIMIT and "IDGRAPH_MAX_BODY_BYTES" in answer["detail"]
    assert headers["x-request-id"]


def test_streamed_body_is_refused_once_it_passes_the_limit(server) -> None:
    # Chunked, no Content-Length: five 1 KiB chunks (over the 4 KiB limit) and the body is
    # left unfinished; the answer comes while the client could still be sending.
    chunk = b"400\r\n" + b" " * 1024 + b"\r\n"
    status, headers, body = _exchange(
        server, _head(server, "Transfer-Encoding: chunked"), [chunk] * 5
    )
    assert status == 413, body
    assert json.loads(body)["max_body_bytes"] == LIMIT
    assert headers["x-request-id"]


def test_body_within_the_limit_is_read() -> None:
    with TestClient(create_app(settings())) as client:
        padding = " " * (LIMIT - 200)
        body = ('{"records": "not a list"' + padding + "}").encode()
        assert len(body) <= LIMIT
        response = client.post(
            "/v1/records", content=body, headers={**ONE, "Content-Type": "application/json"}
        )
        assert response.status_code == 422, response.text  # parsed, then refused as input
        over = client.post(
            "/v1/records", content=body + b" " * 200, headers={**ONE, "Content-Type": "x"}
        )
        assert over.status_code == 413


# --- rate limit ------------------------------------------------------------------------


def _lookup(client: TestClient, headers: dict[str, str]) -> int:
    # An unknown kind is refused by the normaliser (422) after the key is checked and
    # counted, before Neo4j would be asked.
    params = {"kind": "no-such-kind", "value": "x"}
    return client.get("/v1/lookup", params=params, headers=headers).status_code


def test_rate_limit_per_key_answers_429_with_retry_after() -> None:
    with (
        capture_log_lines() as logs,
        TestClient(create_app(settings(rate_limit="3/minute"))) as client,
    ):
        assert [_lookup(client, ONE) for _ in range(3)] == [422, 422, 422]
        refused = client.get("/v1/lookup", params={"kind": "a", "value": "b"}, headers=ONE)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "3 per 1 minute" in refused.json()["detail"]
        assert refused.headers["X-Request-ID"]
        assert _lookup(client, TWO) == 422  # another key has its own count
        assert _lookup(client, {}) == 401  # no key: refused, not counted
        assert _lookup(client, {"Authorization": "Bearer wrong"}) == 401
        assert _lookup(client, ONE) == 429
    access = logs.entries("idgraph.access")
    limited = [entry for entry in access if entry["status"] == 429]
    assert len(limited) == 2
    assert all(e["route"] == "/v1/lookup" and e["api_key"].startswith("sha256=") for e in limited)
    assert not any("key-one-secret" in line for line in logs.lines())


def test_rate_limit_window_moves_on() -> None:
    with TestClient(create_app(settings(rate_limit="2/second"))) as client:
        assert [_lookup(client, ONE) for _ in range(3)] == [422, 422, 429]
        time.sleep(1.1)
        assert _lookup(client, ONE) == 422


def test_rate_limit_is_off_by_default() -> None:
    with TestClient(create_app(settings())) as client:
        assert {_lookup(client, ONE) for _ in range(50)} == {422}


def test_a_bad_rate_limit_setting_names_the_variable() -> None:
    with pytest.raises(ValueError, match="IDGRAPH_RATE_LIMIT"):
        create_app(settings(rate_limit="lots"))


# --- unexpected errors -----------------------------------------------------------------

PERSONAL = "jane.quartzberg@example.org"


def _broken_dependency() -> None:
    raise RuntimeError(f"could not parse {PERSONAL}")


def test_unexpected_error_is_json_500_with_the_request_id() -> None:
    app = create_app(settings())

    @app.get("/v1/broken", dependencies=[Depends(_broken_dependency)])
    def broken() -> dict[str, str]:
        return {}

    with capture_log_lines() as logs, TestClient(app) as client:
        response = client.get("/v1/broken", headers={**ONE, "X-Request-ID": "trace-500"})
        anonymous = client.get("/v1/broken")

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "trace-500"
    assert response.json() == {"detail": "internal server error", "request_id": "trace-500"}
    assert anonymous.status_code == 500
    assert anonymous.json()["request_id"] == anonymous.headers["X-Request-ID"]

    errors = logs.entries("idgraph.errors")
    assert [e["request_id"] for e in errors] == ["trace-500", anonymous.headers["X-Request-ID"]]
    trace = errors[0]["exception"]
    assert "Traceback" in trace and "_broken_dependency" in trace
    assert "RuntimeError (message withheld)" in trace
    access = {e["request_id"]: e for e in logs.entries("idgraph.access")}
    assert access["trace-500"]["status"] == 500
    assert access["trace-500"]["route"] == "/v1/broken"
    for line in logs.lines():
        assert PERSONAL not in line and "quartzberg" not in line
