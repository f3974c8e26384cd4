"""``python -m bench.accuracy``: idgraph and Splink side by side on the benchmark data sets.

For each data set (``--datasets``, default all: the four Febrl sets and ``realistic``)
both matchers run in this process, one after the other, on the same records; their
clusters and scored pairs are compared with the truth. idgraph gives two sides: its
default model right after ingest (``idgraph-default``) and the fitted model after a
rematch (``idgraph``). Writes ``bench/results/accuracy-latest.json`` plus a timestamped
copy (``--out`` picks another directory) and prints the tables (``make bench-accuracy``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.accuracy import febrl, realistic, report
from bench.accuracy.febrl import Dataset
from bench.accuracy.metrics import SideResult, score_side

console = Console()

#: A matcher: one side's result, or several (idgraph before and after fitting).
Runner = Callable[[Dataset], SideResult | Sequence[SideResult]]

#: The data sets ``--datasets`` accepts, in the order they run.
DATASETS = (*febrl.DATASETS, *realistic.DATASETS)


def load(name: str) -> Dataset:
    """One of :data:`DATASETS`, from the module that makes it."""
    if name in realistic.DATASETS:
        return realistic.load(name)
    return febrl.load(name)


def people(dataset: Dataset) -> Mapping[str, tuple[str | None, str | None]]:
    """Record key -> (first name, birth date), for counting conflicting customers."""
    return {
        febrl.record_key(r["source"], r["record_id"]): (
            r["attributes"].get("first_name"),
            r["attributes"].get("birth_date"),
        )
        for r in dataset.records
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.accuracy",
        description="Accuracy: idgraph vs Splink, pairwise / B-cubed / customers / calibration.",
    )
    parser.add_argument(
        "--datasets",
        default=",".join(DATASETS),
        help=f"comma-separated subset of {','.join(DATASETS)}",
    )
    parser.add_argument("--skip-splink", action="store_true", help="do not run Splink")
    parser.add_argument("--skip-idgraph", action="store_true", help="do not run idgraph")
    parser.add_argument(
        "--out",
        type=Path,
        default=report.RESULTS_DIR,
        help="directory of accuracy-latest.json and the timestamped copy (bench/results)",
    )
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.datasets.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(DATASETS))
    if unknown or not chosen:
        parser.error(f"unknown data set(s) {', '.join(unknown)}; choose from {DATASETS}")
    args.datasets = [d for d in DATASETS if d in chosen]
    return args


def idgraph_runner() -> Runner | None:
    """``bench.accuracy.idgraph_side.run_idgraph``, or ``None`` when the module is absent."""
    try:
        from bench.accuracy.idgraph_side import run_idgraph
    except ModuleNotFoundError as exc:
        if exc.name != "bench.accuracy.idgraph_side":
            raise  # the module is there but something it imports is not
        return None
    return run_idgraph


def runners(args: argparse.Namespace) -> dict[str, Runner]:
    out: dict[str, Runner] = {}
    if not args.skip_idgraph:
        run_idgraph = idgraph_runner()
        if run_idgraph is None:
            console.print(
                "[yellow]bench/accuracy/idgraph_side.py is missing: skipping the idgraph side[/]"
            )
        else:
            out["idgraph"] = run_idgraph
    if not args.skip_splink:
        from bench.accuracy.splink_side import run_splink

        out["splink"] = run_splink
    return out


def run_dataset(name: str, sides: dict[str, Runner]) -> dict[str, Any]:
    """Load one data set, run every side on it and score them; errors are recorded."""
    started = time.perf_counter()
    with console.status(f"loading {name}…"):
        dataset = load(name)
    entry: dict[str, Any] = {
        "records": len(dataset.records),
        "entities": len(set(dataset.truth.values())),
        "true_pairs": None,
        "load_seconds": time.perf_counter() - started,
        "notes": dataset.notes,
        "sides": {},
    }
    fields = people(dataset)
    for side, run in sides.items():
        with console.status(f"{name}: {side}…"):
            try:
                outcome = run(dataset)
            except Exception as exc:  # keep the other side's figures
                console.print_exception()
                entry["sides"][side] = {"error": f"{type(exc).__name__}: {exc}"}
                continue
        for result in [outcome] if isinstance(outcome, SideResult) else outcome:
            scored = score_side(result, dataset.truth, people=fields)
            entry["true_pairs"] = scored.scores.true_pairs
            entry["sides"][result.name] = scored.as_dict()
            s, ece = scored.scores, scored.link_calibration.ece
            conflicting = scored.conflicts.conflicting_clusters if scored.conflicts else "-"
            console.print(
                f"{name} {result.name}: pairwise F1 {s.pairwise_f1:.4f}, "
                f"B-cubed F1 {s.bcubed_f1:.4f}, over-merged {s.over_merged_clusters:,}, "
                f"largest {s.largest_cluster:,}, conflicting {conflicting}, "
                f"link ECE {'-' if ece is None else f'{ece:.4f}'}, {result.seconds:.1f} s"
            )
    return entry


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    sides = runners(args)
    console.rule(f"Accuracy: {', '.join(args.datasets)} with {', '.join(sides) or 'nothing'}")
    results: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "args": {**vars(args), "out": str(args.out)},
        "sides": list(sides),
        "datasets": {},
    }
    failed = False
    try:
        for name in args.datasets:
            results["datasets"][name] = run_dataset(name, sides)
            failed |= any("error" in s for s in results["datasets"][name]["sides"].values())
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        return 130
    finished = datetime.now(UTC)
    results["finished_at"] = finished.isoformat(timespec="seconds")
    results["seconds"] = round((finished - started).total_seconds(), 1)
    results["checks"] = report.checks(results)
    latest, stamped = report.write(results, started, args.out)
    report.print_report(console, results)
    console.print(f"results: {latest} (and {stamped.name}); took {results['seconds']:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
