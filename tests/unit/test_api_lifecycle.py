"""Starting and stopping the API while Neo4j is unreachable (no database here)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.store.driver import _driver_options


def test_stopping_does_not_wait_for_the_driver_to_give_up_on_neo4j() -> None:
    """Webhook delivery (on by default) starts its first round at once; with nothing
    listening the driver retries that read for ``max_transaction_retry_time`` (a minute),
    then the shutdown's lease release as long again. Neither ``/readyz`` nor stopping the
    API waits for that: the API stays up while Neo4j is down, ``/readyz`` says why at
    once, and the API stops when told."""
    settings = Settings(
        api_keys="key-one-secret:admin",
        neo4j_uri="bolt://127.0.0.1:9",  # nothing listens
        neo4j_password="unused",
    )
    assert settings.webhook_delivery
    retry_time = _driver_options(settings)["max_transaction_retry_time"]
    client = TestClient(create_app(settings))
    client.__enter__()
    try:
        assert client.get("/healthz").status_code == 200
        asked = time.monotonic()
        ready = client.get("/readyz")
        assert time.monotonic() - asked < retry_time / 2  # one attempt, not the retries
        assert ready.status_code == 503
        assert "ServiceUnavailable" in ready.json()["reason"]
        time.sleep(1.0)  # the deliverer's first call is being retried by now
    finally:
        stopping = time.monotonic()
        client.__exit__(None, None, None)
    assert time.monotonic() - stopping < retry_time / 2
