"""A local Neo4j Community server assembled from Maven Central, without Docker.

The jars are the ones the official distribution ships in ``lib/``: the community server
(``org.neo4j:neo4j`` with ``org.neo4j.app:neo4j-server``, main class
``org.neo4j.server.CommunityEntryPoint``) and ``org.neo4j.client:neo4j-browser``, which makes
the HTTP connector serve Neo4j Browser at ``/browser/``. Maven resolves them into a cache
directory outside the repository (reused by every clone); the server's own state (our
``neo4j.conf``, data, logs, the generated password) lives in a separate state directory, so
stop then start keeps the graph.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from app.core.config import Settings
from app.core.errors import ProvisioningError

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
_MIN_JAVA = 17

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.idgraph</groupId>
  <artifactId>neo4j-community-lib</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.neo4j</groupId><artifactId>neo4j</artifactId><version>{version}</version>
    </dependency>
    <dependency>
      <groupId>org.neo4j.app</groupId><artifactId>neo4j-server</artifactId>
      <version>{version}</version>
    </dependency>
    <dependency>
      <groupId>org.neo4j.client</groupId><artifactId>neo4j-browser</artifactId>
      <version>{browser}</version>
    </dependency>
  </dependencies>
</project>
"""

_JVM_OPTIONS = (
    "-XX:+UseG1GC",
    # G1's default pause goal is 200 ms; measured young-collection pauses of 200-350 ms
    # after a heavy ingest put the lookup p99 at ~300 ms. A 50 ms goal makes G1 size the
    # young generation for short pauses (more, cheaper collections).
    "-XX:MaxGCPauseMillis=50",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
)


@dataclass(frozen=True)
class ServerStatus:
    """What ``idgraph neo4j status`` prints."""

    running: bool
    pid: int | None
    bolt_uri: str
    browser_url: str
    data_dir: Path
    installed: bool
    password_file: Path


class LocalNeo4j:
    """Install, configure, start and stop the local Neo4j server.

    Args:
        settings: ports, memory sizes, cache and state directories.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.cache_dir / f"neo4j-community-{settings.neo4j_version}"
        self.lib_dir = self.home / "lib"
        self.state_dir = settings.state_dir
        self.conf_dir = self.state_dir / "conf"
        self.data_dir = self.state_dir / "data"
        self.logs_dir = self.state_dir / "logs"
        self.run_dir = self.state_dir / "run"
        self.password_file = self.state_dir / "password"
        self.pid_file = self.run_dir / "neo4j.pid"

    # ------------------------------------------------------------------ install
    @property
    def installed(self) -> bool:
        return (self.home / ".complete").exists()

    def install(self) -> None:
        """Resolve the server's jars from Maven Central into the cache (once)."""
        if self.installed:
            return
        self._check_java()
        mvn = shutil.which("mvn")
        if mvn is None:
            raise ProvisioningError(
                "Maven (mvn) is not on PATH; install it (apt-get install maven) or set "
                "NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD to use an existing Neo4j."
            )
        self.home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.home) as tmp:
            pom = Path(tmp) / "pom.xml"
            pom.write_text(
                _POM.format(
                    version=self.settings.neo4j_version,
                    browser=self.settings.neo4j_browser_version,
                )
            )
            staged = Path(tmp) / "lib"
            cmd = [
                mvn,
                "-B",
                "-q",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={staged}",
                "-DincludeScope=runtime",
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
                raise ProvisioningError(
                    f"Maven could not fetch Neo4j {self.settings.neo4j_version} from Maven "
                    "Central. Check network access to https://repo1.maven.org (or the proxy "
                    "in ~/.m2/settings.xml), or set NEO4J_URI to use an existing Neo4j.\n"
                    f"{tail}"
                )
            if not any(staged.glob(f"neo4j-{self.settings.neo4j_version}.jar")):
                raise ProvisioningError(
                    f"Maven resolved no neo4j-{self.settings.neo4j_version}.jar; is "
                    "IDGRAPH_NEO4J_VERSION a published 5.x version?"
                )
            if self.lib_dir.exists():
                shutil.rmtree(self.lib_dir)
            staged.rename(self.lib_dir)
        (self.home / ".complete").write_text(self.settings.neo4j_version + "\n")

    def _check_java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise ProvisioningError(
                "Java is not on PATH; Neo4j 5.26 needs Java 17 or 21 "
                "(apt-get install openjdk-17-jre-headless), or set NEO4J_URI to use an "
                "existing Neo4j."
            )
        out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
        match = re.search(r'version "(\d+)', out.stderr + out.stdout)
        major = int(match.group(1)) if match else 0
        if major < _MIN_JAVA:
            raise ProvisioningError(
                f"Java {major or '?'} found at {java}; Neo4j 5.26 needs Java 17 or 21. "
                "Install a newer JDK and put it first on PATH (or set JAVA_HOME)."
            )
        return java

    # ------------------------------------------------------------------ configure
    def password(self) -> str:
        """The generated password of the local server (created on first use, mode 0600)."""
        if not self.password_file.exists():
            if (self.data_dir / "dbms" / "auth.ini").exists():
                raise ProvisioningError(
                    f"{self.password_file} is missing but {self.data_dir} already has users; "
                    f"remove {self.state_dir} to start afresh (this deletes the local graph)."
                )
            self.state_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                # A leading "-" would read as an option to neo4j-admin and other tools.
                handle.write("p" + secrets.token_urlsafe(24))
        return self.password_file.read_text().strip()

    def write_config(self) -> Path:
        """Write our own ``neo4j.conf`` (rewritten at every start so settings apply)."""
        for directory in (self.conf_dir, self.data_dir, self.logs_dir, self.run_dir):
            directory.mkdir(parents=True, exist_ok=True)
        s = self.settings
        conf = self.conf_dir / "neo4j.conf"
        conf.write_text(
            "\n".join(
                [
                    "# Written by `idgraph neo4j start`; edit the IDGRAPH_NEO4J_* settings.",
                    "server.default_listen_address=127.0.0.1",
                    "server.default_advertised_address=127.0.0.1",
                    f"server.bolt.listen_address=127.0.0.1:{s.neo4j_bolt_port}",
                    f"server.bolt.advertised_address=127.0.0.1:{s.neo4j_bolt_port}",
                    f"server.http.listen_address=127.0.0.1:{s.neo4j_http_port}",
                    f"server.http.advertised_address=127.0.0.1:{s.neo4j_http_port}",
                    "server.https.enabled=false",
                    "server.bolt.tls_level=DISABLED",
                    "dbms.security.auth_enabled=true",
                    "dbms.usage_report.enabled=false",
                    f"server.directories.data={self.data_dir}",
                    f"server.directories.logs={self.logs_dir}",
                    f"server.directories.run={self.run_dir}",
                    f"server.directories.import={self.state_dir / 'import'}",
                    f"server.memory.heap.initial_size={s.neo4j_heap}",
                    f"server.memory.heap.max_size={s.neo4j_heap}",
                    f"server.memory.pagecache.size={s.neo4j_pagecache}",
                    # Bounded, so erased values age out of the transaction logs: a file
                    # is pruned at a checkpoint once rotated and outside the retention.
                    f"db.tx_log.rotation.retention_policy={s.neo4j_tx_log_retention}",
                    f"db.tx_log.rotation.size={s.neo4j_tx_log_rotation_size}",
                    "db.checkpoint.interval.time=15m",
                    "db.transaction.timeout=5m",
                    "",
                ]
            )
        )
        return conf

    def admin(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``neo4j-admin`` (``AdminTool`` from the same jars) on this server's
        ``neo4j.conf``; the caller checks the return code."""
        java = self._check_java()
        return subprocess.run(
            [java, "-cp", f"{self.lib_dir}/*", ADMIN_TOOL, *args],
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
        )

    def _set_initial_password(self) -> None:
        if (self.data_dir / "dbms" / "auth.ini").exists():
            return
        # "--" ends the options: a password may begin with "-"
        proc = self.admin("dbms", "set-initial-password", "--", self.password())
        if proc.returncode != 0:
            raise ProvisioningError(
                "neo4j-admin could not set the initial password:\n" + proc.stderr[-2000:]
            )

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["NEO4J_HOME"] = str(self.home)
        env["NEO4J_CONF"] = str(self.conf_dir)
        return env

    # ------------------------------------------------------------------ lifecycle
    def pid(self) -> int | None:
        """The pid of the running server, or None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if ENTRY_POINT.encode() not in cmdline:
                return None
        return pid

    def start(self) -> ServerStatus:
        """Install if needed, configure and start the server; return once Bolt answers."""
        if self.pid() is not None:
            self.wait_until_ready()
            return self.status()
        self.install()
        java = self._check_java()
        for port, name in (
            (self.settings.neo4j_bolt_port, "IDGRAPH_NEO4J_BOLT_PORT"),
            (self.settings.neo4j_http_port, "IDGRAPH_NEO4J_HTTP_PORT"),
        ):
            if _port_in_use(port):
                raise ProvisioningError(
                    f"port 127.0.0.1:{port} is already in use by another program; stop it or "
                    f"choose another port with {name}=<port>."
                )
        self.write_config()
        self._set_initial_password()
        heap = self.settings.neo4j_heap
        cmd = [
            java,
            f"-Xms{heap}",
            f"-Xmx{heap}",
            *_JVM_OPTIONS,
            # Collections and safepoints (every stop-the-world pause) with their times.
            f"-Xlog:gc,safepoint:file={self.logs_dir}/gc.log"
            ":time,uptime,level,tags:filecount=5,filesize=20m",
            "-cp",
            f"{self.lib_dir}/*",
            ENTRY_POINT,
            f"--home-dir={self.home}",
            f"--config-dir={self.conf_dir}",
        ]
        console = (self.logs_dir / "console.log").open("ab")
        proc = subprocess.Popen(
            cmd,
            stdout=console,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self._env(),
            start_new_session=True,
        )
        console.close()
        self.pid_file.write_text(f"{proc.pid}\n")
        self.wait_until_ready(proc)
        return self.status()

    def wait_until_ready(self, proc: subprocess.Popen[bytes] | None = None) -> None:
        """Block until Bolt accepts our credentials, or raise with the log's tail."""
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, ServiceUnavailable

        deadline = time.monotonic() + self.settings.neo4j_start_timeout
        auth = (self.settings.neo4j_user, self.password())
        while True:
            if proc is not None and proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise ProvisioningError(
                    f"Neo4j exited with code {proc.returncode} while starting; "
                    f"see {self.logs_dir}:\n{self.log_tail()}"
                )
            try:
                with GraphDatabase.driver(self.settings.bolt_uri, auth=auth) as driver:
                    driver.verify_connectivity()
                return
            except AuthError as exc:
                raise ProvisioningError(
                    f"Neo4j at {self.settings.bolt_uri} refused the password in "
                    f"{self.password_file}: {exc.message}. Another server may own this port."
                ) from exc
            except (ServiceUnavailable, OSError):
                if time.monotonic() > deadline:
                    raise ProvisioningError(
                        f"Neo4j did not answer on {self.settings.bolt_uri} within "
                        f"{self.settings.neo4j_start_timeout:.0f}s; see {self.logs_dir}:\n"
                        f"{self.log_tail()}"
                    ) from None
                time.sleep(0.5)

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``); False if not running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid):
                break
            time.sleep(0.2)
        else:
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def status(self) -> ServerStatus:
        return ServerStatus(
            running=self.pid() is not None,
            pid=self.pid(),
            bolt_uri=self.settings.bolt_uri,
            browser_url=f"http://127.0.0.1:{self.settings.neo4j_http_port}/browser/",
            data_dir=self.data_dir,
            installed=self.installed,
            password_file=self.password_file,
        )

    def log_tail(self, lines: int = 20) -> str:
        chunks = []
        for name in ("console.log", "neo4j.log"):
            path = self.logs_dir / name
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                chunks.append(f"--- {path}\n" + "\n".join(text))
        return "\n".join(chunks)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        # A zombie child of ours is dead for our purposes.
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        if state == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            return False
    return True


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def connection_settings(settings: Settings) -> tuple[str, str, str]:
    """``(uri, user, password)`` for the configured Neo4j: external if NEO4J_URI is set."""
    if settings.external_neo4j:
        if settings.neo4j_password is None:
            raise ProvisioningError("NEO4J_URI is set but NEO4J_PASSWORD is not; set both.")
        return settings.bolt_uri, settings.neo4j_user, settings.neo4j_password
    password = settings.neo4j_password or LocalNeo4j(settings).password()
    return settings.bolt_uri, settings.neo4j_user, password
