"""``python -m bench.profile_ingest``: where one batch's time goes on the live ingest path.

Runs :class:`app.ingest.service.IngestService` in this process (no HTTP, one writer)
against a local Neo4j of its own, and prints records/s, the Python CPU and the Neo4j
server's CPU per record (from ``/proc``), statements per batch and the wall time of each
statement (``Neo4jUnit._run`` wrapped with a timer; commit is the rest). Attach py-spy
to it (``py-spy record --pid ... --format raw``) for the Python side. It is a tool for
A/B runs of two checkouts on the same machine (run it from each checkout's directory),
not a figure of the bench: ``bench.run`` measures the API over HTTP.

    python -m bench.profile_ingest --records 5000 --warmup 2000 [--batch 1000]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.bootstrap import Services
from app.core.config import Settings
from app.provision.neo4j_server import LocalNeo4j
from app.sampledata.generator import Record, generate_for_records
from app.store import unit as store_unit
from app.store.driver import apply_schema, create_driver
from app.store.graph_store import GraphStore
from graph_models.records import SourceRecord

STATE_DIR = Path.home() / ".local" / "state" / "idgraph" / "profile-neo4j"


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux ``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_ingest")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=2000, help="records ingested, then wiped")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--bolt-port", type=int, default=27787)
    parser.add_argument("--http-port", type=int, default=27774)
    args = parser.parse_args(argv)
    settings = Settings(
        state_dir=STATE_DIR,
        neo4j_bolt_port=args.bolt_port,
        neo4j_http_port=args.http_port,
        neo4j_heap="2g",
        neo4j_pagecache="2g",
        max_batch_size=max(args.batch, 1000),
    )
    server = LocalNeo4j(settings)
    server.start()
    driver = create_driver(settings)
    wall_of: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    untimed = store_unit.Neo4jUnit._run

    def timed(self: store_unit.Neo4jUnit, name: str, **params: Any) -> list[Any]:
        began = time.perf_counter()
        try:
            return untimed(self, name, **params)
        finally:
            wall_of[name] += time.perf_counter() - began
            calls[name] += 1

    store_unit.Neo4jUnit._run = timed  # type: ignore[method-assign]
    try:
        apply_schema(driver, settings.neo4j_database)
        store = GraphStore(driver, settings.neo4j_database)
        ingestion = Services.over(store, settings).ingestion

        def run(records: Sequence[Record]) -> None:
            parsed = [SourceRecord.model_validate(r) for r in records]
            for i in range(0, len(parsed), args.batch):
                ingestion.ingest(parsed[i : i + args.batch])

        store.wipe()
        if args.warmup:
            run(generate_for_records(args.warmup, 99).records)
            store.wipe()
        wall_of.clear()
        calls.clear()
        records = generate_for_records(args.records, 7).records
        pid = server.pid()
        assert pid is not None
        cpu0, began, neo0 = time.process_time(), time.perf_counter(), process_cpu_seconds(pid)
        run(records)
        wall = time.perf_counter() - began
        cpu, neo = time.process_time() - cpu0, process_cpu_seconds(pid) - neo0
        n, batches = len(records), -(-len(records) // args.batch)
        print(
            f"records {n}  wall {wall:.1f} s  {n / wall:.0f} records/s  python CPU "
            f"{cpu / n * 1000:.2f} ms/record  Neo4j CPU {neo / n * 1000:.2f} ms/record  "
            f"statements/batch {sum(calls.values()) / batches:.1f}  "
            f"in statements {sum(wall_of.values()):.1f} s"
        )
        for name, seconds in wall_of.most_common():
            print(f"{seconds / wall * 100:6.1f}%  {seconds:8.2f} s  {calls[name]:5d}  {name}")
    finally:
        driver.close()
        server.stop()


if __name__ == "__main__":
    main()
