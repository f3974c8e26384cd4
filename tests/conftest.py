"""Test fixtures: a real Neo4j for the whole session.

The session starts its own local Neo4j (from the shared jar cache, with a fresh data
directory and ports of its own) unless NEO4J_URI names one to use instead. Integration
tests wipe the graph before each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import Settings
from app.provision.neo4j_server import LocalNeo4j

TEST_BOLT_PORT = int(os.environ.get("IDGRAPH_TEST_BOLT_PORT", "17687"))
TEST_HTTP_PORT = int(os.environ.get("IDGRAPH_TEST_HTTP_PORT", "17474"))


def local_settings(state_dir: Path, bolt: int, http: int, **extra: object) -> Settings:
    """Settings for a local test server (small memory, its own state and ports)."""
    values: dict[str, object] = {
        "state_dir": state_dir,
        "neo4j_bolt_port": bolt,
        "neo4j_http_port": http,
        "neo4j_heap": "1g",
        "neo4j_pagecache": "512m",
        "neo4j_uri": None,
        "neo4j_password": None,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def point_cli_at(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """Make the CLI's own settings (read from the environment) name the local server of
    ``settings``, not an external one; call ``get_settings.cache_clear()`` around its use."""
    env = {
        "IDGRAPH_STATE_DIR": str(settings.state_dir),
        "IDGRAPH_NEO4J_BOLT_PORT": str(settings.neo4j_bolt_port),
        "IDGRAPH_NEO4J_HTTP_PORT": str(settings.neo4j_http_port),
        "IDGRAPH_NEO4J_HEAP": settings.neo4j_heap,
        "IDGRAPH_NEO4J_PAGECACHE": settings.neo4j_pagecache,
        "IDGRAPH_CACHE_DIR": str(settings.cache_dir),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    if os.environ.get("NEO4J_URI"):
        yield Settings()
        return
    settings = local_settings(
        tmp_path_factory.mktemp("neo4j-state"), TEST_BOLT_PORT, TEST_HTTP_PORT
    )
    server = LocalNeo4j(settings)
    server.start()
    try:
        yield settings
    finally:
        server.stop()


@pytest.fixture(scope="session")
def driver(neo4j_settings: Settings):  # type: ignore[no-untyped-def]
    from app.bootstrap import connect

    drv = connect(neo4j_settings)
    yield drv
    drv.close()


@pytest.fixture
def store(driver, neo4j_settings: Settings):  # type: ignore[no-untyped-def]
    from app.store.graph_store import GraphStore

    graph = GraphStore(driver, neo4j_settings.neo4j_database)
    graph.wipe()
    return graph


@pytest.fixture
def services(store, neo4j_settings: Settings):  # type: ignore[no-untyped-def]
    from app.bootstrap import Services

    return Services.over(store, neo4j_settings)


API_KEYS = {"admin": "test-admin-key", "writer": "test-writer-key", "reader": "test-reader-key"}


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEYS[role]}"}


@pytest.fixture
def api_settings(neo4j_settings: Settings) -> Settings:
    keys = ",".join(f"{key}:{role}" for role, key in API_KEYS.items())
    return neo4j_settings.model_copy(update={"api_keys": keys})


@pytest.fixture
def client(store, api_settings: Settings):  # type: ignore[no-untyped-def]
    """An API client holding an admin key (use ``auth(role)`` headers for other roles)."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(api_settings), headers=auth("admin")) as test_client:
        yield test_client


@pytest.fixture
def cli_env(neo4j_settings, store, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    """The environment an ``idgraph`` command run with typer's CliRunner needs to use the
    session's Neo4j (and no state of the developer's own); yields the wiped store."""
    from app.core.config import get_settings
    from app.provision.neo4j_server import connection_settings

    uri, user, password = connection_settings(neo4j_settings)
    monkeypatch.setenv("IDGRAPH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("IDGRAPH_API_KEYS", raising=False)
    monkeypatch.setenv("NEO4J_URI", uri)
    monkeypatch.setenv("NEO4J_USER", user)
    monkeypatch.setenv("NEO4J_PASSWORD", password)
    get_settings.cache_clear()
    yield store
    get_settings.cache_clear()
