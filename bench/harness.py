"""The benchmark's servers: its own local Neo4j (or an external one) and the API process."""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from neo4j import Driver

from app.core.config import Settings
from app.core.errors import ProvisioningError
from app.provision.neo4j_server import LocalNeo4j
from app.store.driver import apply_schema, create_driver
from app.store.graph_store import GraphStore

REPO = Path(__file__).resolve().parents[1]
#: Where the bench's own Neo4j lives and listens; the variables let two benches run at once.
BENCH_STATE_DIR = Path(
    os.environ.get(
        "IDGRAPH_BENCH_STATE_DIR", Path.home() / ".local" / "state" / "idgraph" / "bench-neo4j"
    )
)
BENCH_BOLT_PORT = int(os.environ.get("IDGRAPH_BENCH_BOLT_PORT", "7787"))
BENCH_HTTP_PORT = int(os.environ.get("IDGRAPH_BENCH_HTTP_PORT", "7574"))
API_HOST = "127.0.0.1"
API_PORT = int(os.environ.get("IDGRAPH_BENCH_API_PORT", "8077"))

#: Variables that could point the API subprocess at another Neo4j than the bench's own.
_NEO4J_ENV = (
    "NEO4J_URI",
    "NEO4J_USER",
    "NEO4J_PASSWORD",
    "IDGRAPH_NEO4J_URI",
    "IDGRAPH_NEO4J_USER",
    "IDGRAPH_NEO4J_PASSWORD",
)


def bench_settings() -> Settings:
    """Settings of the bench's Neo4j; ``NEO4J_URI`` (and friends) still select an external one."""
    return Settings(
        state_dir=BENCH_STATE_DIR,
        neo4j_bolt_port=BENCH_BOLT_PORT,
        neo4j_http_port=BENCH_HTTP_PORT,
        neo4j_heap="4g",
        neo4j_pagecache="4g",
    )


def neo4j_pid(settings: Settings) -> int | None:
    """The local server's pid (None for an external Neo4j)."""
    return None if settings.external_neo4j else LocalNeo4j(settings).pid()


@contextlib.contextmanager
def neo4j_server(settings: Settings, keep_running: bool = False) -> Iterator[Driver]:
    """Start the bench's local Neo4j (unless external), yield a driver, stop it at the end."""
    server = None if settings.external_neo4j else LocalNeo4j(settings)
    try:
        if server is not None:
            server.start()
        driver = create_driver(settings)
        try:
            driver.verify_connectivity()
            yield driver
        finally:
            driver.close()
    finally:
        # Also when starting failed half-way: a server that never answered still runs.
        if server is not None and not keep_running:
            server.stop()


def reset_graph(driver: Driver, settings: Settings) -> None:
    """Delete the whole graph and (re-)apply the schema."""
    GraphStore(driver, settings.neo4j_database).wipe()
    apply_schema(driver, settings.neo4j_database)


def identifier_count(driver: Driver, database: str) -> int:
    """Distinct identifiers in the graph (one node per identifier key)."""
    records, _, _ = driver.execute_query(
        "MATCH (i:Identifier) RETURN count(i) AS n", database_=database, routing_="r"
    )
    return int(records[0]["n"])


def checkpoint(driver: Driver, database: str) -> None:
    """Flush the page cache to disk now, so no checkpoint runs during a measurement."""
    with contextlib.suppress(Exception):  # a server without the procedure is still usable
        driver.execute_query("CALL db.checkpoint()", database_=database)


def neo4j_version(driver: Driver, database: str) -> str:
    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions, edition "
        "RETURN name, versions[0] AS version, edition",
        database_=database,
        routing_="r",
    )
    row = records[0]
    return f"{row['name']} {row['version']} {row['edition']}"


def machine_info(driver: Driver, settings: Settings) -> dict[str, Any]:
    """Cores, RAM, Python and Neo4j versions: what the figures depend on."""
    ram_gib: float | None = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    load: list[float] | None = None
    with contextlib.suppress(OSError):
        load = [round(x, 2) for x in os.getloadavg()]
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "ram_gib": ram_gib,
        "load_average_at_start": load,
        "python": sys.version.split()[0],
        "neo4j": neo4j_version(driver, settings.neo4j_database),
        "neo4j_external": settings.external_neo4j,
        "neo4j_uri": settings.bolt_uri,
        "neo4j_heap": None if settings.external_neo4j else settings.neo4j_heap,
        "neo4j_pagecache": None if settings.external_neo4j else settings.neo4j_pagecache,
    }


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class Api:
    """The running API: where it listens and the keys the bench was given for this run."""

    base_url: str
    writer_key: str
    reader_key: str
    pid: int

    def client(self, role: str = "reader", timeout: float = 30.0) -> httpx.Client:
        """A persistent client that authenticates as ``reader`` or ``writer``."""
        key = self.writer_key if role == "writer" else self.reader_key
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=timeout,
        )


def _key_entry(key: str, role: str) -> str:
    # The hashed form, so the API process's environment never holds the key itself.
    return f"sha256={hashlib.sha256(key.encode()).hexdigest()}:{role}"


def api_environment(settings: Settings, api_keys: str = "") -> dict[str, str]:
    """The API process's environment: the bench's Neo4j, or the external one passed through."""
    env = dict(os.environ)
    env["IDGRAPH_API_KEYS"] = api_keys
    if not settings.external_neo4j:
        for name in _NEO4J_ENV:
            env.pop(name, None)
        env["IDGRAPH_STATE_DIR"] = str(settings.state_dir)
        env["IDGRAPH_NEO4J_BOLT_PORT"] = str(settings.neo4j_bolt_port)
        env["IDGRAPH_NEO4J_HTTP_PORT"] = str(settings.neo4j_http_port)
    env["IDGRAPH_NEO4J_DATABASE"] = settings.neo4j_database
    return env


@contextlib.contextmanager
def api_server(
    settings: Settings,
    host: str = API_HOST,
    port: int = API_PORT,
    log_path: Path | None = None,
    ready_timeout: float = 120.0,
    workers: int = 1,
) -> Iterator[Api]:
    """Run the API with uvicorn as a subprocess; yield it once /readyz says 200.

    The process gets two fresh API keys of its own (a writer for ingestion, a reader for
    lookups), passed as hashes. The access log is off: at 200 lookups/s on a small
    machine it would cost CPU that the server should spend answering.
    """
    if not _port_free(host, port):
        raise ProvisioningError(f"port {host}:{port} is in use; pick another with --api-port")
    log_path = log_path or settings.state_dir.parent / "bench-api.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "app.main:create_app",
        "--host",
        host,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--workers",
        str(workers),
    ]
    writer_key, reader_key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    keys = ",".join([_key_entry(writer_key, "writer"), _key_entry(reader_key, "reader")])
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=api_environment(settings, keys),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    api = Api(f"http://{host}:{port}", writer_key, reader_key, proc.pid)
    try:
        _wait_ready(proc, api.base_url, ready_timeout, log_path)
        _check_keys(api)
        yield api
    finally:
        _stop(proc)


def _check_keys(api: Api) -> None:
    """Fail early if the API refuses the bench's keys (every request would be a 401)."""
    with api.client("reader") as client:
        response = client.get("/v1/lookup", params={"kind": "cookie", "value": "bench-probe"})
    if response.status_code in (401, 403):
        raise ProvisioningError(
            f"the API refused the bench's reader key: HTTP {response.status_code} "
            f"{response.text[:200]}"
        )


def _wait_ready(proc: subprocess.Popen[bytes], base_url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    reason = "no answer yet"
    with httpx.Client(base_url=base_url, timeout=5.0) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ProvisioningError(
                    f"the API exited with code {proc.returncode} while starting; "
                    f"see {log}:\n{_tail(log)}"
                )
            try:
                response = client.get("/readyz")
                if response.status_code == 200:
                    return
                reason = response.text
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            time.sleep(0.3)
    raise ProvisioningError(
        f"the API at {base_url} was not ready within {timeout:.0f}s ({reason}); "
        f"see {log}:\n{_tail(log)}"
    )


def _stop(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stat(pid: int | str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time so far (Linux ``/proc``) of a process and its live children
    (uvicorn's worker processes), or None."""
    fields = _stat(pid)
    if fields is None:
        return None
    ticks = int(fields[11]) + int(fields[12])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (child := _stat(entry.name)) and child[1] == str(pid):
            ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used by the bench itself, the API and Neo4j between two points.

    On a small machine the three share the cores; this says where the time went.
    """

    def __init__(self, api_pid: int, neo4j_pid: int | None) -> None:
        self.pids = {"api": api_pid, "neo4j": neo4j_pid}
        self._start: dict[str, float | None] = {}

    def start(self) -> None:
        self._start = self._now()

    def _now(self) -> dict[str, float | None]:
        now: dict[str, float | None] = {"bench": time.process_time()}
        for name, pid in self.pids.items():
            now[name] = _cpu_seconds(pid) if pid is not None else None
        return now

    def used(self) -> dict[str, float | None]:
        """CPU seconds per process since :meth:`start` (None where unknown)."""
        now = self._now()
        used: dict[str, float | None] = {}
        for name, value in now.items():
            before = self._start.get(name)
            used[name] = None if value is None or before is None else round(value - before, 2)
        return used
