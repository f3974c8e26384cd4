"""The record of backups taken (``idgraph backup``), so an erasure can name the copies
that still hold what it erased.

One JSON line per backup in ``<state dir>/backups.jsonl``, beside the local server's data
and outside the database, so a restore does not lose it.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from app.core.config import Settings
from graph_models.customers import BackupOnRecord

CATALOG_NAME = "backups.jsonl"


class BackupCatalog:
    """Backups taken of the local server, oldest first.

    Args:
        path: the catalog file (:meth:`of` gives the one beside the local server's state).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of(cls, settings: Settings) -> BackupCatalog:
        return cls(settings.state_dir / CATALOG_NAME)

    def record(self, file: Path, taken_at: datetime, size: int, database: str) -> None:
        """Add a backup (one appended line; the file is created 0600)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {
                "file": str(file.resolve()),
                "taken_at": taken_at.isoformat(),
                "size": size,
                "database": database,
            }
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a") as out:
            out.write(line + "\n")

    def entries(self) -> list[BackupOnRecord]:
        """Every backup recorded (a line that cannot be read is skipped)."""
        if not self.path.is_file():
            return []
        found = []
        for line in self.path.read_text().splitlines():
            try:
                found.append(BackupOnRecord.model_validate_json(line))
            except ValueError:
                continue
        return found

    def holding_data_of(self, before: datetime) -> list[BackupOnRecord]:
        """Backups taken before ``before`` whose file is still there (the latest entry of a
        file that was written again): they hold the graph as it was then."""
        latest: dict[str, BackupOnRecord] = {}
        for entry in self.entries():
            latest[entry.file] = entry
        return [e for e in latest.values() if e.taken_at < before and Path(e.file).is_file()]
