"""Ingest throughput: generated records POSTed in batches by concurrent HTTP clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from app.sampledata.generator import GeneratedData, Record, generate_for_records
from bench.harness import Api

BATCH_SIZE = 1000
#: A batch of 1000 records takes seconds at today's engine speed; allow a slow one.
POST_TIMEOUT = 600.0


@dataclass
class IngestFigures:
    """What the ingest step measured."""

    records: int
    records_ok: int
    batches: int
    batch_errors: int
    clients: int
    seconds: float
    records_per_s: float
    identifiers: int
    people: int
    generate_seconds: float
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def generate_data(records: int, seed: int) -> tuple[GeneratedData, float]:
    """The seeded records and their ground truth, and how long generating took."""
    began = time.perf_counter()
    data = generate_for_records(records, seed)
    return data, time.perf_counter() - began


def post_batch(client: httpx.Client, batch: Sequence[Record]) -> httpx.Response:
    """POST one batch to ``/v1/records``."""
    return client.post("/v1/records", json={"records": list(batch)}, timeout=POST_TIMEOUT)


def ingest(
    api: Api,
    records: Sequence[Record],
    clients: int,
    console: Console,
    batch_size: int = BATCH_SIZE,
    label: str = "ingest",
) -> tuple[int, int, int, float, list[str]]:
    """POST ``records`` in order, ``batch_size`` at a time, from ``clients`` threads.

    Each client takes the next batch when its previous one is answered, so at most
    ``clients`` batches are in flight. Returns (records accepted, batches, failed batches,
    wall seconds, first error messages).
    """
    batches = [records[i : i + batch_size] for i in range(0, len(records), batch_size)]
    lock = threading.Lock()
    cursor = iter(range(len(batches)))
    accepted = 0
    failures: list[str] = []

    with Progress(
        TextColumn(f"[bold]{label}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("ingest", total=len(records), rate="")
        began = time.perf_counter()

        def worker() -> None:
            nonlocal accepted
            with api.client("writer", timeout=POST_TIMEOUT) as client:
                while True:
                    with lock:
                        index = next(cursor, None)
                    if index is None:
                        return
                    batch = batches[index]
                    try:
                        response = post_batch(client, batch)
                        ok = response.status_code == 200
                        problem = (
                            f"batch {index}: HTTP {response.status_code} {response.text[:300]}"
                        )
                    except httpx.HTTPError as exc:
                        ok, problem = False, f"batch {index}: {type(exc).__name__}: {exc}"
                    with lock:
                        if ok:
                            accepted += len(batch)
                        else:
                            failures.append(problem)
                        done = accepted
                        elapsed = time.perf_counter() - began
                    progress.update(
                        task, advance=len(batch), rate=f"{done / max(elapsed, 1e-9):,.0f} rec/s"
                    )

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, clients))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - began
    return accepted, len(batches), len(failures), seconds, failures[:10]
