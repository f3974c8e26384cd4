"""``idgraph load --bulk``: an empty graph loaded with Neo4j's offline importer.

Phases (each with its progress):

1. **check** the local server is the store and its graph may be replaced: ``replace`` is
   given, an interrupted bulk load left it, no database was ever created, or it is empty
   (only this last case needs the server started, to count its nodes);
2. **read** the files with :mod:`app.loading` (readers, mapping, bad rows reported and
   left out) and validate and normalise every record as ``POST /v1/records`` does;
3. **compute** the graph in memory with the engine's functions (:mod:`app.bulk.graph`);
4. **write** the import CSV files into a work directory (rebuilt on every run);
5. **import**: the server is stopped, ``neo4j-admin database import full
   --overwrite-destination`` writes the database, the server is started;
6. **schema and checks**: constraints and indexes applied (the Community importer
   creates none), the one fix-up the CSV format cannot express, counts compared.

A marker file in the state directory says a bulk load is under way from phase 5 until the
checks pass, so an interrupted load is simply run again: the graph it left is replaced.
"""

from __future__ import annotations

import gc
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from app.bootstrap import connect
from app.bulk.graph import BulkGraph, Phase, build_graph, no_progress
from app.bulk.import_files import ImportFile, ImportFiles
from app.bulk.importer import BulkLoadError, import_full, stopped
from app.bulk.parallel import default_workers
from app.core.collector import full_collections_paused
from app.core.config import Settings
from app.engine.core import Engine
from app.engine.matching import MatchModel, default_model
from app.engine.ports import ResolutionUnit
from app.ingest.service import IngestService
from app.privacy.suppression import Suppression
from app.provision.neo4j_server import LocalNeo4j
from app.store.bulk import BulkStore
from app.store.driver import create_driver
from graph_models.customers import RecordResult
from graph_models.records import NormalisedRecord, SourceRecord

#: In the state directory while an import is under way (its graph may be replaced).
MARKER = "bulk-load-in-progress"

T = TypeVar("T")


class _NoTransactions:
    """The collecting service resolves nothing, so it opens no transaction (and the read
    phase needs no running server)."""

    def in_write_transaction(self, work: Callable[[ResolutionUnit], T]) -> T:
        raise NotImplementedError("bulk mode resolves records in memory, not per batch")

    def in_read_transaction(self, work: Callable[[ResolutionUnit], T]) -> T:
        raise NotImplementedError("bulk mode resolves records in memory, not per batch")


class CollectingIngest(IngestService):
    """The ingest service's validation and normalisation, the records kept for the bulk
    computation instead of resolved one batch at a time."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        super().__init__(_NoTransactions(), engine, Suppression(settings))
        self.records: list[NormalisedRecord] = []

    def ingest(self, records: Sequence[SourceRecord]) -> list[RecordResult]:
        """Validate and normalise a batch and keep it (raises naming every bad field);
        nothing is resolved yet, so there are no results."""
        self.records.extend(self.normalise(records))
        return []


@dataclass
class BulkReport:
    """What a bulk load wrote and how long each phase took (seconds)."""

    records: int = 0
    identifiers: int = 0
    links: int = 0
    similar: int = 0
    customers: int = 0
    shared: int = 0
    store_bytes: int = 0
    workers: int = 1
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


Reader = Callable[[CollectingIngest], object]
"""Reads the input into the collecting service (``app.loading.console.load_files``)."""


class BulkLoader:
    """Bulk-loads the local server's empty graph.

    Args:
        settings: the local server and the engine's configuration.
        work_dir: where the import files are written (emptied first); default
            ``<state dir>/bulk``.
        say: messages for people (stopping and starting the server).
        phase: progress of each computing phase.
        workers: processes for look-alike scoring and import files (default: one per
            core).
    """

    def __init__(
        self,
        settings: Settings,
        work_dir: Path | None = None,
        say: Callable[[str], None] = lambda _: None,
        phase: Phase = no_progress,
        workers: int | None = None,
    ) -> None:
        if settings.external_neo4j:
            raise BulkLoadError(
                f"bulk mode writes the store files of the local Neo4j with neo4j-admin, "
                f"offline; NEO4J_URI names another server ({settings.neo4j_uri}). Load "
                "through the live path instead (`idgraph load` without --bulk), or run the "
                "bulk load where idgraph manages the server (NEO4J_URI unset)"
            )
        self.settings = settings
        self.server = LocalNeo4j(settings)
        self.work_dir = work_dir or settings.state_dir / "bulk"
        self.say = say
        self.phase = phase
        self.workers = workers or default_workers()
        self.engine = Engine(settings)
        self.report = BulkReport(workers=self.workers)

    @property
    def marker(self) -> Path:
        return self.settings.state_dir / MARKER

    def model(self) -> MatchModel | None:
        """The built-in default model (an empty graph holds no fitted one); None when
        matching is off. Fit one afterwards with ``idgraph model fit`` and ``rematch``."""
        return default_model() if self.settings.matching_enabled else None

    def load(self, read: Reader, replace: bool = False) -> BulkReport:
        """Run every phase; ``read`` fills the collecting service with records.

        Raises:
            BulkLoadError: the graph is not empty (and no interrupted bulk load left it),
                or the import failed; the message says what to do.
        """
        clock = time.perf_counter()
        self.check(replace)
        collector = CollectingIngest(self.engine, self.settings)
        clock = self._lap("check", clock)
        with full_collections_paused():
            read(collector)
            clock = self._lap("read and normalise", clock)
            graph = build_graph(
                collector.records, self.engine.config, self.model(), self.phase, self.workers
            )
            collector.records = []
            clock = self._lap("compute", clock)
            files = self.write_files(graph)
            clock = self._lap("write import files", clock)
        # The phases' objects hold no reference cycles (reference counting frees them);
        # one full collection for whatever else the paused passes left.
        gc.collect()
        self.import_files(files)
        clock = self._lap("import", clock)
        self._finish(graph)
        self._lap("schema and checks", clock)
        return self.report

    def write_files(self, graph: BulkGraph) -> list[ImportFile]:
        """The import files, in a work directory emptied first."""
        shutil.rmtree(self.work_dir, ignore_errors=True)
        writer = ImportFiles(graph, datetime.now(UTC))
        advance = self.phase("import files", sum(s[4] for s in writer.steps()))
        return writer.write(self.work_dir, lambda _name, rows: advance(rows), self.workers)

    def import_files(self, files: Sequence[ImportFile]) -> None:
        """Stop the server, import (overwriting the database), start it again."""
        self.marker.parent.mkdir(parents=True, exist_ok=True)
        self.marker.write_text("a bulk load is replacing the graph; run it again if it stopped\n")
        advance = self.phase("neo4j-admin import", None)
        with stopped(self.server, self.say):
            import_full(
                self.server, self.settings.neo4j_database, files, self.work_dir / "import.report"
            )
        advance(1)

    def check(self, replace: bool) -> None:
        """Raise unless the graph may be replaced. The server is started only when its
        graph has to be counted: ``replace``, an interrupted bulk load's marker, or a
        database that was never created need no server (the import stops it anyway)."""
        database = self.server.data_dir / "databases" / self.settings.neo4j_database
        if replace or self.marker.exists() or (not database.exists() and self.server.pid() is None):
            self.server.install()
            self.server.write_config()  # neo4j-admin reads the server's neo4j.conf
            return
        self.server.start()
        driver = connect(self.settings)
        try:
            nodes = BulkStore(driver, self.settings.neo4j_database).content_nodes()
        finally:
            driver.close()
        if nodes:
            raise BulkLoadError(
                f"the graph is not empty ({nodes} nodes); bulk mode loads an empty graph. "
                "Add the records through the live path (`idgraph load FILE...` without "
                "--bulk), or pass --replace to replace the whole graph with these files"
            )

    def _finish(self, graph: BulkGraph) -> None:
        advance = self.phase("schema, indexes and checks", None)
        driver = create_driver(self.settings)
        try:
            BulkStore(driver, self.settings.neo4j_database).create_schema_together()
        finally:
            driver.close()
        driver = connect(self.settings)  # applies the schema and waits for the indexes
        try:
            store = BulkStore(driver, self.settings.neo4j_database)
            store.fill_created_before()
            counts = store.entity_counts()
        finally:
            driver.close()
        expected = {
            "records": len(graph.records),
            "identifiers": len(graph.identifiers),
            "blocks": len(graph.blocks),
            "customers": len(graph.customers),
            "events": graph.events,
            "observed": graph.observations,
            "linked": len(graph.links),
            "similar": len(graph.similar),
            "in_block": graph.block_memberships,
            "belongs_to": graph.memberships,
        }
        wrong = {k: (counts.get(k), n) for k, n in expected.items() if counts.get(k) != n}
        if wrong:
            raise BulkLoadError(
                f"the imported graph differs from the computed one (imported, computed): "
                f"{wrong}; see {self.work_dir / 'import.report'} and run the load again"
            )
        self.marker.unlink(missing_ok=True)
        advance(1)
        self.report.records = len(graph.records)
        self.report.identifiers = len(graph.identifiers)
        self.report.links = len(graph.links)
        self.report.similar = len(graph.similar)
        self.report.customers = len(graph.customers)
        self.report.shared = len(graph.shared_reason)
        self.report.store_bytes = self.store_bytes()

    def store_bytes(self) -> int:
        """Bytes of the database's store files on disk (transaction logs not counted)."""
        root = self.server.data_dir / "databases" / self.settings.neo4j_database
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())

    def _lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.report.seconds[name] = now - since
        return now
