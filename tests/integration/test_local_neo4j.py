"""The local Neo4j provisioned from Maven Central: a real server, auth on, Browser served."""

from __future__ import annotations

import socket
import stat
import urllib.request

import pytest
from fastapi.testclient import TestClient
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from app.core.config import Settings
from app.core.errors import ProvisioningError
from app.main import create_app
from app.provision.neo4j_server import LocalNeo4j
from tests.conftest import local_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def free_ports(count: int = 2) -> list[int]:
    """Ports nothing listens on now, picked by the OS: a fixed port here would be another
    test run's on a shared machine (its session's Neo4j, or its own copy of this test)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture
def fresh(tmp_path) -> Settings:
    bolt, http = free_ports()
    return local_settings(tmp_path / "state", bolt, http, cache_dir=tmp_path / "cache")


def test_provision_from_empty_cache_persist_and_refuse_bad_password(fresh: Settings) -> None:
    server = LocalNeo4j(fresh)
    assert not server.installed
    with TestClient(create_app(fresh)) as client:
        down = client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["reason"]

        try:
            server.start()
            assert server.installed
            jars = {p.name for p in server.lib_dir.iterdir()}
            assert f"neo4j-{fresh.neo4j_version}.jar" in jars
            assert f"neo4j-browser-{fresh.neo4j_browser_version}.jar" in jars
            assert stat.S_IMODE(server.password_file.stat().st_mode) == 0o600
            password = server.password()
            assert password not in ("neo4j", "")
            conf = (server.conf_dir / "neo4j.conf").read_text()
            assert f"server.bolt.listen_address=127.0.0.1:{fresh.neo4j_bolt_port}" in conf
            assert "dbms.security.auth_enabled=true" in conf

            up = client.get("/readyz")
            assert up.status_code == 200, up.text

            browser = f"http://127.0.0.1:{fresh.neo4j_http_port}/browser/"
            with urllib.request.urlopen(browser, timeout=10) as page:
                assert page.status == 200
                assert "neo4j" in page.read().decode("utf-8", "replace").lower()

            for auth in (("neo4j", "neo4j"), ("neo4j", "wrong-password")):
                with (
                    GraphDatabase.driver(fresh.bolt_uri, auth=auth) as bad,
                    pytest.raises(AuthError),
                ):
                    bad.verify_connectivity()

            with GraphDatabase.driver(fresh.bolt_uri, auth=("neo4j", password)) as drv:
                drv.execute_query("CREATE (:Probe {name: 'survives'})")
            status = server.status()
            assert status.running and status.pid
            assert server.stop()
            assert not server.status().running

            server.start()
            with GraphDatabase.driver(fresh.bolt_uri, auth=("neo4j", password)) as drv:
                records, _, _ = drv.execute_query("MATCH (p:Probe) RETURN p.name AS name")
            assert [r["name"] for r in records] == ["survives"]
        finally:
            server.stop()


def test_port_taken_names_the_fix(neo4j_settings: Settings, tmp_path) -> None:
    if neo4j_settings.external_neo4j:
        pytest.skip("external Neo4j: nothing is provisioned")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        settings = local_settings(tmp_path / "state", taken, free_ports(1)[0])
        with pytest.raises(ProvisioningError, match="IDGRAPH_NEO4J_BOLT_PORT"):
            LocalNeo4j(settings).start()


def test_password_beginning_with_a_dash_is_not_read_as_an_option(tmp_path) -> None:
    """One generated password in 64 used to begin with "-", and neo4j-admin refused it."""
    settings = local_settings(tmp_path / "state", *free_ports())
    server = LocalNeo4j(settings)
    server.state_dir.mkdir(parents=True)
    server.password_file.write_text("-" + "x7" * 12)
    try:
        server.start()
        with GraphDatabase.driver(settings.bolt_uri, auth=("neo4j", server.password())) as drv:
            drv.verify_connectivity()
    finally:
        server.stop()
    other = local_settings(tmp_path / "other", *free_ports())
    assert LocalNeo4j(other).password()[0] != "-"
