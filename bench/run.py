"""``python -m bench.run``: the whole benchmark in one command (``make bench``).

Starts the bench's own Neo4j (``~/.local/state/idgraph/bench-neo4j``, Bolt 7787, HTTP
7574) unless ``NEO4J_URI`` names one, starts the API on 127.0.0.1:8077, runs the steps
(ingest, accuracy, lookups, incremental), writes ``bench/results/latest.json`` plus a
timestamped copy, prints every figure next to its target, and stops what it started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver
from rich.console import Console

from app.core.config import Settings
from app.core.errors import IdgraphError
from app.sampledata.generator import GeneratedData
from bench import accuracy, harness, incremental, ingest, lookups, report

STEPS = ("ingest", "accuracy", "lookups", "incremental")
QUICK = {
    "records": 5000,
    "lookup_seconds": 10.0,
    "incremental_identifiers": 50_000,
    "ingest_warmup_records": 0,
}
FULL = {
    "records": 100_000,
    "lookup_seconds": 30.0,
    "incremental_identifiers": 1_000_000,
    "ingest_warmup_records": 10_000,
}

console = Console()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="idgraph benchmark: ingest, accuracy, lookups, incremental cost.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 5000 records, 10 s of lookups, background 10k vs 50k",
    )
    parser.add_argument("--records", type=int, help="records to ingest (default 100000)")
    parser.add_argument("--clients", type=int, default=2, help="concurrent ingest clients")
    parser.add_argument(
        "--ingest-warmup-records",
        type=int,
        help="records ingested (other people, then wiped) before the measured ingest, so "
        "Neo4j's JIT has compiled the write path (10000; --quick: 0)",
    )
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument("--lookup-rate", type=float, default=200.0, help="lookups per second")
    parser.add_argument(
        "--lookup-warmup-seconds",
        type=float,
        default=60.0,
        help="unmeasured lookups at the same rate before the measured run (the server's "
        "JIT keeps compiling the read path for about a minute)",
    )
    parser.add_argument("--lookup-seconds", type=float, help="length of the lookup run (30)")
    parser.add_argument(
        "--lookup-threads", type=int, default=32, help="keep-alive connections for lookups"
    )
    parser.add_argument(
        "--incremental-identifiers",
        type=int,
        help="large background size in identifiers (default 1000000)",
    )
    parser.add_argument(
        "--incremental-small", type=int, default=10_000, help="small background size"
    )
    parser.add_argument("--incremental-batches", type=int, default=5, help="K fresh batches")
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help=f"comma-separated subset of {','.join(STEPS)} (run in that order)",
    )
    parser.add_argument("--api-port", type=int, default=harness.API_PORT)
    parser.add_argument(
        "--api-workers",
        type=int,
        default=2,
        help="uvicorn worker processes of the API (stateless replicas; one per core)",
    )
    parser.add_argument(
        "--keep-neo4j", action="store_true", help="leave the bench's Neo4j running at the end"
    )
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown step(s) {', '.join(unknown)}; choose from {', '.join(STEPS)}")
    args.steps = [s for s in STEPS if s in steps]
    if args.incremental_identifiers <= args.incremental_small:
        parser.error("--incremental-identifiers must exceed --incremental-small")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    settings = harness.bench_settings()
    where = settings.bolt_uri + (" (external)" if settings.external_neo4j else "")
    console.rule(f"idgraph benchmark: {', '.join(args.steps)}")
    console.print(f"Neo4j {where}; API on 127.0.0.1:{args.api_port} ({args.api_workers} worker(s))")
    results: dict[str, Any] = {
        "started_at": started.isoformat(),
        "args": dict(vars(args)),
    }
    failed = False
    try:
        with contextlib.ExitStack() as stack:
            if not settings.external_neo4j and not args.keep_neo4j:
                stack.callback(console.print, "[dim]stopped the bench's Neo4j[/]")
            with console.status("starting Neo4j…"):
                driver = stack.enter_context(
                    harness.neo4j_server(settings, keep_running=args.keep_neo4j)
                )
            results["machine"] = harness.machine_info(driver, settings)
            if "ingest" in args.steps:
                harness.reset_graph(driver, settings)
            with console.status("starting the API…"):
                api = stack.enter_context(
                    harness.api_server(settings, port=args.api_port, workers=args.api_workers)
                )
            run_steps(args, settings, driver, api, results)
    except IdgraphError as exc:
        console.print(f"[bold red]error:[/] {exc.message}")
        results["error"] = exc.message
        failed = True
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        return 130
    except Exception as exc:  # keep what was measured before the failure
        console.print_exception()
        results["error"] = f"{type(exc).__name__}: {exc}"
        failed = True
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["seconds"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    latest, stamped = report.write(results, started)
    report.print_summary(console, results)
    console.print(f"results: {latest} (and {stamped.name}); took {results['seconds']:.0f} s")
    return 1 if failed else 0


def run_steps(
    args: argparse.Namespace,
    settings: Settings,
    driver: Driver,
    api: harness.Api,
    results: dict[str, Any],
) -> None:
    """Run the selected steps in order, filling ``results``."""
    database = settings.neo4j_database
    meter = harness.CpuMeter(api.pid, harness.neo4j_pid(settings))
    data: GeneratedData | None = None
    generate_seconds = 0.0

    def dataset() -> GeneratedData:
        nonlocal data, generate_seconds
        if data is None:
            with console.status(f"generating ~{args.records:,} records (seed {args.seed})…"):
                data, seconds = ingest.generate_data(args.records, args.seed)
            generate_seconds = seconds
            console.print(
                f"generated {len(data.records):,} records of {data.people:,} people "
                f"in {seconds:.1f} s"
            )
        return data

    if "ingest" in args.steps:
        console.rule("ingest")
        generated = dataset()
        if args.ingest_warmup_records:
            # Neo4j's JIT compiles the write path for about the first 10k records (~50 s
            # of CPU on 2 cores); a running server has long done so. Warm it on other
            # people's records, then wipe the graph: the measured ingest starts empty.
            warm, _ = ingest.generate_data(args.ingest_warmup_records, args.seed + 1)
            ingest.ingest(api, warm.records, args.clients, console, label="JVM warm-up")
            harness.reset_graph(driver, settings)
        meter.start()
        accepted, batches, failed, seconds, errors = ingest.ingest(
            api, generated.records, args.clients, console
        )
        cpu = meter.used()
        for error in errors:
            console.print(f"[red]{error}[/]")
        figures = ingest.IngestFigures(
            records=len(generated.records),
            records_ok=accepted,
            batches=batches,
            batch_errors=failed,
            clients=args.clients,
            seconds=seconds,
            records_per_s=accepted / seconds if seconds else 0.0,
            identifiers=harness.identifier_count(driver, database),
            people=generated.people,
            generate_seconds=generate_seconds,
            errors=errors,
        )
        results["ingest"] = {**figures.as_dict(), "cpu_seconds": cpu}
        console.print(
            f"{accepted:,} records in {seconds:.1f} s = {figures.records_per_s:,.0f} records/s; "
            f"{figures.identifiers:,} distinct identifiers"
        )
        console.print(_cpu_line(cpu, seconds))

    if "accuracy" in args.steps:
        console.rule("accuracy")
        generated = dataset()
        with console.status("reading every identifier's customer from Neo4j…"):
            graph = accuracy.read_identifiers(driver, database)
        if not graph:
            console.print("[yellow]the graph is empty: run the ingest step first[/]")
        measured = accuracy.accuracy(
            graph, generated.truth, generated.shared, generated.household_devices
        )
        results["accuracy"] = measured.as_dict()
        if graph and measured.truth_identifiers_missing > len(generated.truth) // 2:
            console.print(
                f"[yellow]{measured.truth_identifiers_missing:,} of {len(generated.truth):,} "
                "truth identifiers are not in the graph: it holds other data (the incremental "
                "step wipes it); run ingest with the same --records and --seed first[/]"
            )
        s = measured.scores
        console.print(
            f"precision {s.precision:.4f}, recall {s.recall:.4f}, F1 {s.f1:.4f}; "
            f"{s.over_merged_customers} over-merged customers, {s.split_people} split people; "
            f"{measured.shared_quarantined} of {measured.shared_total} shared identifiers "
            "quarantined"
        )

    if "lookups" in args.steps:
        console.rule("lookups")
        generated = dataset()
        n = int(args.lookup_rate * args.lookup_seconds)
        targets = lookups.pick_targets(generated.truth, n, args.seed)
        if harness.identifier_count(driver, database) == 0:
            console.print("[yellow]the graph is empty: every lookup will be a 404[/]")
        with console.status(
            f"{n:,} lookups at {args.lookup_rate:g}/s for {args.lookup_seconds:g} s…"
        ):
            figures_l = lookups.run_lookups(
                api,
                targets,
                args.lookup_rate,
                args.lookup_seconds,
                args.lookup_threads,
                meter=meter,
                warmup_seconds=args.lookup_warmup_seconds,
            )
            cpu = meter.used()
        results["lookups"] = {**figures_l.as_dict(), "cpu_seconds": cpu}
        for sample in figures_l.error_samples:
            console.print(f"[red]{sample}[/]")
        console.print(
            f"p50 {figures_l.p50_ms:.2f} ms, p99 {figures_l.p99_ms:.2f} ms, "
            f"max {figures_l.max_ms:.2f} ms, {figures_l.errors} errors, "
            f"{figures_l.achieved_rate:.1f} req/s"
        )
        console.print(_cpu_line(cpu, figures_l.requests / figures_l.achieved_rate))

    if "incremental" in args.steps:
        console.rule("incremental")
        figures_i = incremental.run_incremental(
            driver,
            settings,
            api,
            [args.incremental_small, args.incremental_identifiers],
            console,
            batches=args.incremental_batches,
            meter=meter,
        )
        results["incremental"] = figures_i.as_dict()
        for problem in figures_i.property_differences:
            console.print(f"[yellow]bulk background differs from the engine's graph:[/] {problem}")
        medians = ", ".join(
            f"{p.median_seconds:.3f} s on {p.background_identifiers:,}" for p in figures_i.phases
        )
        console.print(f"median batch: {medians}; ratio {figures_i.ratio:.2f}")


def _cpu_line(cpu: dict[str, float | None], seconds: float) -> str:
    """``CPU: bench 1.2 s, API 30.1 s, Neo4j 12.0 s of 2 cores x 40 s``."""
    parts = [f"{name} {value:.1f} s" for name, value in cpu.items() if value is not None]
    cores = os.cpu_count() or 1
    return f"[dim]CPU used: {', '.join(parts)} (of {cores} cores x {seconds:.0f} s wall)[/]"


if __name__ == "__main__":
    sys.exit(main())
