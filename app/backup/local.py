"""Dump and load the local server's database with ``neo4j-admin``, the server stopped."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.backup.catalog import CATALOG_NAME, BackupCatalog
from app.core.errors import BackupError
from app.provision.neo4j_server import LocalNeo4j


@dataclass(frozen=True)
class BackupResult:
    """What a backup or restore did.

    Attributes:
        file: the dump written or read.
        size: its size in bytes.
        database: the Neo4j database dumped or loaded.
        restarted: the server was running, was stopped for it and started again.
    """

    file: Path
    size: int
    database: str
    restarted: bool


def _ignore(_: str) -> None:
    return None


class LocalBackup:
    """``neo4j-admin database dump`` / ``load`` of one database of the local server.

    Args:
        server: the local Neo4j (its jars, ``neo4j.conf`` and data directory).
        database: the database idgraph uses (``IDGRAPH_NEO4J_DATABASE``).
        say: progress messages for people (``idgraph backup`` prints them).
        catalog: where each backup taken is recorded (default: beside the server's state),
            so erasures can name the backups that still hold what they erase.
    """

    def __init__(
        self,
        server: LocalNeo4j,
        database: str,
        say: Callable[[str], None] = _ignore,
        catalog: BackupCatalog | None = None,
    ) -> None:
        self.server = server
        self.database = database
        self.say = say
        self.catalog = catalog or BackupCatalog(server.state_dir / CATALOG_NAME)

    def backup(self, file: Path) -> BackupResult:
        """Dump the database to ``file`` (replaced if it exists; written whole or not at all).

        Raises:
            BackupError: no local server data, or ``neo4j-admin`` failed (its output says why).
        """
        file = file.resolve()
        if not self.server.installed or not self.server.data_dir.exists():
            raise BackupError(
                f"nothing to back up: no local Neo4j at {self.server.state_dir} "
                "(start it once with `idgraph neo4j start`)"
            )
        if file.is_dir():
            raise BackupError(f"{file} is a directory; name the dump file to write")
        file.parent.mkdir(parents=True, exist_ok=True)
        with self._stopped() as restarted, tempfile.TemporaryDirectory(dir=file.parent) as tmp:
            taken_at = datetime.now(UTC)  # the server is stopped: nothing after this is in it
            self.say(f"dumping database {self.database} with neo4j-admin…")
            self._load_or_dump("dump", Path(tmp))
            os.replace(Path(tmp) / f"{self.database}.dump", file)
        size = file.stat().st_size
        self.catalog.record(file, taken_at, size, self.database)
        return BackupResult(file, size, self.database, restarted)

    def restore(self, file: Path) -> BackupResult:
        """Replace the database with the dump in ``file``.

        ``neo4j-admin`` first reads the dump's header (``load --info``), so a file that is
        not a dump is refused before anything changes. The database as it was is dumped
        aside first and loaded back if the load fails (``load`` empties the database
        before it reads the dump through), then deleted.

        Raises:
            BackupError: ``file`` is missing or not a dump, or ``neo4j-admin`` failed (its
                output says why; the graph is as it was).
        """
        file = file.resolve()
        if not file.is_file():
            raise BackupError(f"no dump at {file}")
        if not self.server.installed:
            raise BackupError(
                f"no local Neo4j installed in {self.server.home}; run `idgraph neo4j start` "
                "once, then restore"
            )
        size = file.stat().st_size
        self.server.state_dir.mkdir(parents=True, exist_ok=True)
        with (
            self._stopped() as restarted,
            tempfile.TemporaryDirectory(dir=self.server.state_dir, prefix="restore-") as tmp,
        ):
            incoming, previous = Path(tmp) / "incoming", Path(tmp) / "previous"
            incoming.mkdir()
            # neo4j-admin reads <database>.dump from a directory
            staged = incoming / f"{self.database}.dump"
            try:
                os.link(file, staged)
            except OSError:  # another file system: a copy
                shutil.copyfile(file, staged)
            self._admin(
                "read", "database", "load", self.database, f"--from-path={incoming}", "--info"
            )
            keep = (self.server.data_dir / "databases" / self.database).exists()
            if keep:
                self.say(f"saving database {self.database} as it is, in case the load fails…")
                self._load_or_dump("dump", previous)
            self.say(f"loading {file.name} into database {self.database} with neo4j-admin…")
            try:
                self._load_or_dump("load", incoming)
            except BackupError as exc:
                if not keep:
                    raise
                self._load_or_dump("load", previous)
                raise BackupError(f"{exc.message}\nthe database was put back as it was") from None
        return BackupResult(file, size, self.database, restarted)

    def _load_or_dump(self, what: str, directory: Path) -> None:
        where = "--from-path" if what == "load" else "--to-path"
        directory.mkdir(exist_ok=True)
        self._admin(
            what,
            "database",
            what,
            self.database,
            f"{where}={directory}",
            "--overwrite-destination=true",
        )

    @contextlib.contextmanager
    def _stopped(self) -> Iterator[bool]:
        """The server stopped for the block, started again after it (also on failure)."""
        pid = self.server.pid()
        if pid is not None:
            self.say(f"stopping Neo4j (pid {pid}); clients lose their connections until it is back")
            self.server.stop()
        try:
            yield pid is not None
        finally:
            if pid is not None:
                self.say("starting Neo4j again…")
                self.server.start()

    def _admin(self, what: str, *args: str) -> None:
        proc = self.server.admin(*args)
        if proc.returncode != 0:
            output = (proc.stderr or proc.stdout).strip()[-2000:]
            raise BackupError(f"neo4j-admin could not {what} database {self.database}:\n{output}")
