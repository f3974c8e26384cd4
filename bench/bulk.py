"""Bulk-load bench: N generated records loaded with ``idgraph load --bulk``, Splink
deduplicating the same records in the same run, then lookups on the loaded graph.

``python -m bench.bulk [--records N] [--lookup-rate R] [--lookup-seconds S]`` (``make
bench-bulk``; ``RECORDS=100000 make bench-bulk``). Steps:

1. generate N records (the seeded generator, with look-alike records) into a JSONL file;
2. Splink (DuckDB) in a process of its own (:mod:`bench.bulk_splink`): seconds, records/s,
   peak RSS, and (after its clock stops) how well its clusters match who wrote each record;
3. the bulk load through the same code path as ``idgraph load --bulk`` on the bench's
   local Neo4j (replacing its graph): seconds per phase, records/s, peak RSS of this
   process and of ``neo4j-admin``, store size on disk;
4. the same accuracy for idgraph's customers, record by record
   (:mod:`bench.bulk_accuracy`); checks: the imported customers are
   :func:`~app.engine.recluster.partition_graph` of the imported evidence (read back from
   Neo4j), every identifier of the truth is in a customer or shared;
5. lookups (``GET /v1/lookup`` through the API) at a fixed rate: p50/p99, with the load
   average beside them. ``--lookups-only`` runs this step alone on the graph an earlier
   run loaded (a quiet moment's measurement; figures in ``bulk-lookups-latest.json``).

Figures go to ``bench/results/bulk-latest.json`` (and a time-stamped copy).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from app.bulk.console import bulk_load_files, print_bulk_report
from app.core.config import Settings
from app.engine.core import resolution_config
from app.engine.recluster import ReclusterService
from app.sampledata.generator import generate_for_records, write_jsonl
from bench import harness, lookups
from bench.accuracy.metrics import cluster_scores
from bench.bulk_accuracy import record_customers, record_people
from bench.memory import TreePeak

RESULTS = Path(__file__).resolve().parent / "results"
console = Console()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000, help="records (1000000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lookup-rate", type=float, default=200.0, help="lookups/s (200)")
    parser.add_argument("--lookup-seconds", type=float, default=30.0, help="seconds (30)")
    parser.add_argument("--skip-splink", action="store_true", help="idgraph only")
    parser.add_argument(
        "--skip-check", action="store_true", help="skip re-clustering the loaded graph"
    )
    parser.add_argument(
        "--lookups-only",
        action="store_true",
        help="only the lookups, on the graph an earlier run loaded (same --records, --seed)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=harness.BENCH_STATE_DIR.with_name("bench-bulk-neo4j"),
        help="the bench's own local Neo4j (its graph is replaced)",
    )
    parser.add_argument("--bolt-port", type=int, default=7797)
    parser.add_argument("--http-port", type=int, default=7584)
    parser.add_argument("--api-port", type=int, default=8087)
    return parser.parse_args(argv)


def run_splink(path: Path, work: Path, people: Path) -> dict[str, Any]:
    out = work / "splink.json"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bulk_splink", str(path), str(out), str(people)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:], "seconds": time.perf_counter() - started}
    figures: dict[str, Any] = json.loads(out.read_text())
    figures["process_seconds"] = time.perf_counter() - started
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = harness.bench_settings().model_copy(
        update={
            "state_dir": args.state_dir,
            "neo4j_bolt_port": args.bolt_port,
            "neo4j_http_port": args.http_port,
        }
    )
    work = settings.state_dir.parent / "bulk-bench"
    work.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    results: dict[str, Any] = {"started": started.isoformat(), "records_requested": args.records}

    console.rule(f"generate {args.records} records")
    began = time.perf_counter()
    data = generate_for_records(args.records, args.seed)
    source = work / "records.jsonl"
    if not args.lookups_only:  # an earlier run wrote (and loaded) the same records
        write_jsonl(data.records, source)
    results["generate"] = {
        "records": len(data.records),
        "people": data.people,
        "truth_identifiers": len(data.truth),
        "seconds": time.perf_counter() - began,
        "file_bytes": source.stat().st_size if source.exists() else None,
    }
    truth = data.truth
    people = work / "people.json"
    if not args.lookups_only:
        people.write_text(json.dumps(record_people(data.records, truth)), encoding="utf-8")
    del data

    if args.lookups_only:
        args.skip_splink = args.skip_check = True
    if not args.skip_splink:
        console.rule("Splink (DuckDB), same records")
        splink_load = os.getloadavg()
        results["splink"] = run_splink(source, work, people)
        results["splink"]["load_average_at_start"] = splink_load
        results["splink"]["load_average_at_end"] = os.getloadavg()
        console.print(results["splink"])

    if not args.lookups_only:
        results["idgraph_bulk"] = bulk_load(settings, source)
    lookups_and_check(args, settings, truth, people, results)
    results["finished"] = datetime.now(UTC).isoformat()
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(results, indent=1, default=str)
    name = "bulk-lookups" if args.lookups_only else "bulk"
    (RESULTS / f"{name}-latest.json").write_text(text, encoding="utf-8")
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{name}-{stamp}-{args.records}.json").write_text(text, encoding="utf-8")
    console.print(f"figures in {RESULTS / f'{name}-latest.json'}")
    return 0


def bulk_load(settings: Settings, source: Path) -> dict[str, Any]:
    """``idgraph load --bulk --replace`` of ``source``: its report and what it cost."""
    console.rule("idgraph load --bulk")
    load_average = os.getloadavg()
    with TreePeak() as memory:
        summary, report = bulk_load_files(console, settings, [source], None, None, replace=True)
    print_bulk_report(console, report)
    return {
        "records": report.records,
        "identifiers": report.identifiers,
        "links": report.links,
        "look_alike_links": report.similar,
        "customers": report.customers,
        "shared": report.shared,
        "bad_rows": summary.bad,
        "seconds": report.total_seconds,
        "phases": report.seconds,
        "records_per_second": report.records / report.total_seconds,
        "records_per_second_without_server_restart": report.records
        / max(report.total_seconds - report.seconds.get("import", 0.0), 1e-9),
        "workers": report.workers,
        "load_average_at_start": load_average,
        "load_average_at_end": os.getloadavg(),
        # this process alone (its whole life, generating the records included)
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # sampled during the load: this process and its forked workers together, and
        # neo4j-admin (proportional set size, see bench/memory.py)
        "loader_peak_pss_mib": memory.peak_mib("loader"),
        "neo4j_admin_peak_pss_mib": memory.peak_mib("neo4j-admin"),
        "store_mib": report.store_bytes / 2**20,
        "neo4j_heap": settings.neo4j_heap,
        "neo4j_pagecache": settings.neo4j_pagecache,
    }


def lookups_and_check(
    args: argparse.Namespace,
    settings: Settings,
    truth: Any,
    people: Path,
    results: dict[str, Any],
) -> None:
    """The accuracy of the loaded customers and the re-cluster check (unless skipped), then
    the lookups, on the loaded graph."""
    with harness.neo4j_server(settings) as driver:
        from app.bootstrap import Services
        from app.store.graph_store import GraphStore

        store = GraphStore(driver, settings.neo4j_database)
        if "idgraph_bulk" in results:
            console.rule("accuracy of the customers, record by record (as Splink's clusters)")
            found = record_customers(driver, settings.neo4j_database)
            written_by = json.loads(people.read_text(encoding="utf-8"))
            results["idgraph_bulk"]["accuracy"] = cluster_scores(found, written_by).as_dict()
            console.print(_headline(results["idgraph_bulk"]["accuracy"]))
        if not args.skip_check:
            console.rule("check: re-cluster the imported graph from scratch (dry run)")
            services = Services.over(store, settings)
            began = time.perf_counter()
            check = ReclusterService(store, services.engine).recluster(dry_run=True)
            results["check"] = {
                "seconds": time.perf_counter() - began,
                "identifiers": check.identifiers,
                "customers": check.customers,
                "differing_identifiers": check.differing_identifiers,
                "config_threshold": resolution_config(settings).threshold,
            }
            console.print(results["check"])
        console.rule(f"lookups at {args.lookup_rate:.0f}/s for {args.lookup_seconds:.0f}s")
        with harness.api_server(settings, port=args.api_port) as api:
            targets = lookups.pick_targets(truth, 20_000, args.seed)
            load_average = os.getloadavg()
            figures = lookups.run_lookups(api, targets, args.lookup_rate, args.lookup_seconds)
        results["lookups"] = figures.as_dict()
        results["lookups"]["load_average_at_start"] = load_average
        results["lookups"]["load_average_at_end"] = os.getloadavg()
        console.print(
            {k: results["lookups"][k] for k in ("achieved_rate", "p50_ms", "p99_ms", "errors")}
        )
        results["machine"] = harness.machine_info(driver, settings)


def _headline(scores: dict[str, Any]) -> dict[str, Any]:
    names = ("pairwise_precision", "pairwise_recall", "pairwise_f1", "clusters", "entities")
    return {name: scores[name] for name in names}


if __name__ == "__main__":
    raise SystemExit(main())
