"""Retention inside the API process, every ``IDGRAPH_RETENTION_INTERVAL`` seconds (opt-in).

The run is blocking database work, so it runs in a worker thread and the event loop keeps
serving; at shutdown the thread is told to stop after its current batch (one transaction)
and the task is awaited. Several API processes may each run it: batches of two runs that
meet lock the same customers and serialise, and a record the other run already removed
is simply not found.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

import anyio.to_thread
from neo4j import Driver

from app.core.config import Settings
from app.engine.core import Engine
from app.privacy.retention.rules import parse_rules
from app.privacy.retention.service import RetentionReport, RetentionService
from app.privacy.suppression import Suppression
from app.store.graph_store import BACKGROUND_RETRY_SECONDS, GraphStore

log = logging.getLogger("idgraph.retention")


def log_report(report: RetentionReport) -> None:
    """One line per rule: counts and the rule's name, never a record or a value."""
    for outcome in report.rules:
        log.info(
            "retention rule %s: %d expired, %d record(s) deleted, %d scrubbed, "
            "%d identifier(s) removed, %d customer(s) affected, %d batch(es)%s",
            outcome.rule.name,
            outcome.expired,
            outcome.records_deleted,
            outcome.records_scrubbed,
            outcome.identifiers_removed,
            outcome.customers_affected,
            outcome.batches,
            "" if report.complete else " (stopped before the end; the next run goes on)",
        )


class PeriodicRetention:
    """The background task applying the rules every ``interval`` seconds.

    Args:
        service: the process's retention service.
        interval: seconds between the end of one run and the start of the next.
    """

    def __init__(self, service: RetentionService, interval: float) -> None:
        self.service = service
        self.interval = interval
        self.stopping = threading.Event()
        self.runs = 0
        self.task: asyncio.Task[None] | None = None

    def start(self) -> PeriodicRetention:
        """Start the task (call from the running event loop)."""
        self.task = asyncio.get_running_loop().create_task(self._run_forever())
        return self

    async def _run_forever(self) -> None:
        while not self.stopping.is_set():
            try:
                report = await anyio.to_thread.run_sync(self._apply)
                log_report(report)
            except Exception as exc:  # logged by class; the next round tries again
                log.error("retention run failed: %s", type(exc).__name__)
            self.runs += 1
            await asyncio.sleep(self.interval)

    def _apply(self) -> RetentionReport:
        return self.service.apply(stop=self.stopping)

    async def stop(self) -> None:
        """Stop after the current batch and wait for the task."""
        self.stopping.set()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def start(driver: Driver, settings: Settings) -> PeriodicRetention | None:
    """Check the rules (a bad rule stops the API from starting, naming it) and, with
    ``IDGRAPH_RETENTION_INTERVAL`` above 0, start applying them in this process."""
    rules = parse_rules(settings.retention_rules, set(settings.extra_kinds))
    if settings.retention_interval <= 0 or not rules:
        return None
    store = GraphStore(driver, settings.neo4j_database, retry_time=BACKGROUND_RETRY_SECONDS)
    service = RetentionService(
        store, Engine(settings), Suppression(settings), rules, settings.retention_batch_size
    )
    log.info("retention: %d rule(s), every %g s", len(rules), settings.retention_interval)
    return PeriodicRetention(service, settings.retention_interval).start()
