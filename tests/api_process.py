"""The real API (uvicorn) as a subprocess on 127.0.0.1, pointed at the session's Neo4j:
for tests that kill it, or run several at once as replicas of one service would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from app.core.config import Settings
from app.provision.neo4j_server import connection_settings
from tests.conftest import API_KEYS, auth

REPO = Path(__file__).resolve().parents[1]


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class ApiProcess:
    """One API process on ``port``; ``env`` adds or overrides IDGRAPH_* settings."""

    def __init__(
        self, neo4j_settings: Settings, log: Path, port: int, env: dict[str, str] | None = None
    ) -> None:
        uri, user, password = connection_settings(neo4j_settings)
        keys = ",".join(f"{key}:{role}" for role, key in API_KEYS.items())
        self.env = {
            **os.environ,
            "NEO4J_URI": uri,
            "NEO4J_USER": user,
            "NEO4J_PASSWORD": password,
            "IDGRAPH_NEO4J_DATABASE": neo4j_settings.neo4j_database,
            "IDGRAPH_API_KEYS": keys,
            **(env or {}),
        }
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log = log
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

        def ready() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            try:
                return httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, 120, f"the API on port {self.port} to be ready")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=auth("admin"), timeout=10)

    def post(self, path: str, body: Any) -> httpx.Response:
        return httpx.post(f"{self.base}{path}", json=body, headers=auth("admin"), timeout=120)
