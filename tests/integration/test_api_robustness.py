"""Bad input answers 4xx naming the field, never 500: cases the API fuzz test found, and the
422 shape of the engine's own refusals (the same as FastAPI's)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

RECORD = {
    "source": "crm",
    "record_id": "R-1",
    "observed_at": "2026-11-01T12:00:00Z",
    "identifiers": [{"kind": "email", "value": "ann@example.com"}],
}


@pytest.fixture
def customer_id(client) -> str:  # type: ignore[no-untyped-def]
    assert client.post("/v1/records", json={"records": [RECORD]}).status_code == 200
    found = client.post("/v1/lookup", json={"kind": "email", "value": "ann@example.com"})
    return str(found.json()["customer_id"])


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        # Python takes offsets up to ±23:59, Neo4j up to ±18:00: this one answered 500.
        ("0248-04-19T00:48:13.31756-23:59", 404),
        ("2030-01-01T00:00:00+23:59", 200),
        ("2030-01-01T00:00:00", 200),  # no offset: UTC
        ("2026-01-01T00:00:00Z", 404),  # before the customer existed
    ],
)
def test_as_of_with_any_offset_is_answered(
    client, customer_id: str, as_of: str, status: int
) -> None:
    response = client.get(f"/v1/customers/{customer_id}", params={"as_of": as_of})
    assert response.status_code == status, response.text


def test_as_of_outside_the_calendar_in_utc_is_422(client, customer_id: str) -> None:
    response = client.get(
        f"/v1/customers/{customer_id}", params={"as_of": "0001-01-01T00:00:00+01:00"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "as_of"]


@pytest.mark.parametrize(
    ("request_args", "loc"),
    [
        (("get", "/v1/lookup", {"params": {"kind": "nope", "value": "x"}}), ["query", "kind"]),
        (("get", "/v1/lookup", {"params": {"kind": "email", "value": "x"}}), ["query", "value"]),
        (("post", "/v1/lookup", {"json": {"kind": "phone", "value": "12"}}), ["body", "value"]),
        (("delete", "/v1/identifiers/nope/x", {}), ["path", "kind"]),
        (("get", "/v1/explain", {"params": {"a": "email", "b": "phone:1"}}), ["query", "a"]),
        (("get", "/v1/lookup", {"params": {"kind": "email", "value": "x" * 513}}), None),
        (("get", "/v1/customers/" + "C" * 65, {}), ["path", "customer_id"]),
    ],
)
def test_refusals_name_the_field_in_fastapis_shape(client, request_args, loc) -> None:  # type: ignore[no-untyped-def]
    method, url, kwargs = request_args
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    for error in errors:
        assert {"loc", "msg", "type"} <= set(error), error
    if loc is not None:
        assert errors[0]["loc"] == loc
    else:
        assert errors[0]["loc"][-1] == "value" and errors[0]["type"] == "string_too_long"
