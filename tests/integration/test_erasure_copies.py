"""Erasure leaves no copy behind in what idgraph controls: the service's JSON logs never
held the values, and the local server's logs do not either."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from app.core.config import Settings
from tests.integration.test_erasure import CALLERS, JANE, OTHER, TRACES
from tests.log_capture import LogLines, capture_log_lines

pytestmark = pytest.mark.integration


@pytest.fixture
def log_lines(caplog: pytest.LogCaptureFixture) -> Iterator[LogLines]:
    caplog.set_level(logging.INFO)  # the level the service logs at
    with capture_log_lines() as handler:
        yield handler


def test_the_service_never_logged_what_is_erased(
    client, log_lines, neo4j_settings: Settings
) -> None:
    posted = client.post("/v1/records", json={"records": [*JANE, OTHER, *CALLERS]})
    assert posted.status_code == 200
    jane = posted.json()["results"][0]["customer_id"]
    # Every way a value reaches the API: query strings, bodies, paths, errors.
    assert client.get("/v1/lookup", params={"kind": "email", "value": "Jane.Doe@Example.com"})
    assert client.post("/v1/lookup", json={"kind": "phone", "value": "+1 (415) 555-0100"})
    client.get("/v1/explain", params={"a": "email:jane.doe@example.com", "b": "cookie:ck-jane"})
    client.get(f"/v1/customers/{jane}")
    client.get(f"/v1/customers/{jane}/lineage")
    client.get(f"/v1/customers/{jane}/export")
    bad = client.post(
        "/v1/records",
        json={"records": [{**JANE[0], "identifiers": [{"kind": "email", "value": "Janelle@"}]}]},
    )
    assert bad.status_code == 422 and "Janelle" in bad.text  # the caller is told; not logged
    assert client.delete("/v1/identifiers/account/web/jd-77").status_code == 200
    assert client.delete(f"/v1/customers/{jane}").status_code == 200
    assert (
        client.get("/v1/lookup", params={"kind": "email", "value": "jane.doe@example.com"})
    ).status_code == 404

    lines = log_lines.lines()
    assert len(log_lines.entries("idgraph.access")) >= 10
    assert [t for t in TRACES if any(t.lower() in line.lower() for line in lines)] == []

    # The local Neo4j's own logs (debug.log, neo4j.log; Community writes no query log).
    if not neo4j_settings.external_neo4j:
        logs = neo4j_settings.state_dir / "logs"
        texts = [p.read_text(errors="replace") for p in logs.rglob("*") if p.is_file()]
        assert texts, f"no Neo4j logs in {logs}"
        assert [t for t in TRACES if any(t in text for text in texts)] == []
    else:
        assert os.environ.get("NEO4J_URI")


MARKER = "Quibbleworth-of-Upper-Dimbleby-remembers-parcel-8841-and-nothing-else"


def _transaction_log_bytes(settings: Settings) -> bytes:
    logs = settings.state_dir / "data" / "transactions" / settings.neo4j_database
    return b"".join(p.read_bytes() for p in sorted(logs.glob("*transaction*")))


@pytest.mark.slow
def test_erased_values_age_out_of_the_transaction_logs(tmp_path) -> None:
    """A server of its own with the retention at its tightest (``keep_none``) and the
    smallest rotation (128K): after an erasure, later writes rotate the log file holding the
    value, and the next checkpoint prunes it. The defaults (1 day, 16M) bound it the same
    way, a day later."""
    from app.bootstrap import Opened
    from app.provision.neo4j_server import LocalNeo4j
    from graph_models.records import SourceRecord
    from tests.conftest import local_settings
    from tests.integration.test_local_neo4j import free_ports

    bolt, http = free_ports()
    settings = local_settings(
        tmp_path / "state",
        bolt,
        http,
        neo4j_tx_log_retention="keep_none",
        neo4j_tx_log_rotation_size="128K",
    )
    server = LocalNeo4j(settings)
    server.start()
    try:
        conf = (server.conf_dir / "neo4j.conf").read_text()
        assert "db.tx_log.rotation.retention_policy=keep_none" in conf
        with Opened.connect(settings) as opened:
            person = {
                "source": "crm",
                "record_id": "m-1",
                "identifiers": [{"kind": "email", "value": "marker@example.org"}],
                "attributes": {"note": MARKER},
            }
            opened.services.ingestion.ingest([SourceRecord.model_validate(person)])
            assert MARKER.encode() in _transaction_log_bytes(settings)  # logged, as expected
            opened.services.erasure.erase_identifier("email", "marker@example.org")
            for batch in range(8):  # later work: ~1 MiB of transactions
                opened.services.ingestion.ingest(
                    [
                        SourceRecord.model_validate(
                            {
                                "source": "crm",
                                "record_id": f"f-{batch}-{n}",
                                "identifiers": [
                                    {"kind": "email", "value": f"f{batch}.{n}@example.org"}
                                ],
                                "attributes": {"first_name": f"Filler{n}", "postcode": "94110"},
                            }
                        )
                        for n in range(200)
                    ]
                )
        # Community has no db.checkpoint(): a clean stop checkpoints (as the 15-minute
        # interval does while running), and the files before it are pruned.
        server.stop()
        assert MARKER.encode() not in _transaction_log_bytes(settings)
    finally:
        server.stop()


def test_the_erasure_answer_names_backups_taken_before_it(store, api_settings, tmp_path) -> None:
    """The API's erasure answer lists the recorded backups older than the erasure whose
    files still exist (``idgraph backup`` records them; test_backup checks that part)."""
    from datetime import UTC, datetime, timedelta

    from fastapi.testclient import TestClient

    from app.backup.catalog import BackupCatalog
    from app.main import create_app
    from tests.conftest import auth

    # The session's own state directory: another one would hold another password for the
    # local server (and failed logins lock it for the tests after this one).
    settings = api_settings
    catalog = BackupCatalog.of(settings)
    assert not catalog.path.exists()
    old, gone, later = (tmp_path / n for n in ("old.dump", "gone.dump", "later.dump"))
    old.write_bytes(b"dump")
    later.write_bytes(b"dump")
    now = datetime.now(UTC)
    catalog.record(old, now - timedelta(days=2), 4, "neo4j")
    catalog.record(gone, now - timedelta(days=1), 4, "neo4j")  # deleted since
    catalog.record(later, now + timedelta(hours=1), 4, "neo4j")  # taken after the erasure
    try:
        with TestClient(create_app(settings), headers=auth("admin")) as client:
            posted = client.post("/v1/records", json={"records": [OTHER]})
            bob = posted.json()["results"][0]["customer_id"]
            erased = client.delete(f"/v1/customers/{bob}")
    finally:
        catalog.path.unlink(missing_ok=True)
    assert erased.status_code == 200, erased.text
    backups = erased.json()["backups_holding_erased_data"]
    assert [b["file"] for b in backups] == [str(old.resolve())]
    assert backups[0]["taken_at"].startswith((now - timedelta(days=2)).date().isoformat())
