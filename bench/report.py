"""Figures against their targets: the results file and the table printed at the end."""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Target:
    """A figure's target: ``value <op> threshold``."""

    op: str  # ">=" or "<="
    threshold: float

    def met(self, value: float) -> bool:
        compare: Callable[[float, float], bool] = operator.ge if self.op == ">=" else operator.le
        return not math.isnan(value) and compare(value, self.threshold)


#: The targets (README: benchmarks). A figure without a target is reported as information.
TARGETS: dict[str, Target] = {
    "ingest.records_per_s": Target(">=", 2000),
    "ingest.batch_errors": Target("<=", 0),
    "lookups.p50_ms": Target("<=", 5),
    "lookups.p99_ms": Target("<=", 25),
    "lookups.errors": Target("<=", 0),
    "incremental.ratio": Target("<=", 1.5),
    "accuracy.precision": Target(">=", 0.99),
    "accuracy.recall": Target(">=", 0.95),
}


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    figure: str
    name: str
    value: float | int | str
    shown: str
    unit: str = ""

    @property
    def target(self) -> Target | None:
        return TARGETS.get(self.name)

    @property
    def status(self) -> str:
        target = self.target
        if target is None or isinstance(self.value, str):
            return "-"
        return "PASS" if target.met(float(self.value)) else "MISS"

    def as_dict(self) -> dict[str, Any]:
        target = self.target
        return {
            "figure": self.figure,
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": f"{target.op} {target.threshold:g}" if target else None,
            "status": self.status,
        }


def _num(value: float, digits: int = 1) -> str:
    return "n/a" if isinstance(value, float) and math.isnan(value) else f"{value:,.{digits}f}"


def rows(results: dict[str, Any]) -> list[Row]:
    """The table's rows from the results document (only the steps that ran)."""
    out: list[Row] = []
    ingest = results.get("ingest")
    if ingest:
        out += [
            Row(
                "ingest throughput",
                "ingest.records_per_s",
                ingest["records_per_s"],
                _num(ingest["records_per_s"]),
                "records/s",
            ),
            Row(
                "records ingested",
                "ingest.records_ok",
                ingest["records_ok"],
                f"{ingest['records_ok']:,} of {ingest['records']:,}",
            ),
            Row(
                "ingest batch errors",
                "ingest.batch_errors",
                ingest["batch_errors"],
                f"{ingest['batch_errors']} of {ingest['batches']}",
            ),
            Row(
                "distinct identifiers",
                "ingest.identifiers",
                ingest["identifiers"],
                f"{ingest['identifiers']:,}",
            ),
        ]
    accuracy = results.get("accuracy")
    if accuracy:
        out += [
            Row(
                "pairwise precision",
                "accuracy.precision",
                accuracy["precision"],
                _num(accuracy["precision"], 4),
            ),
            Row(
                "pairwise recall",
                "accuracy.recall",
                accuracy["recall"],
                _num(accuracy["recall"], 4),
            ),
            Row("pairwise F1", "accuracy.f1", accuracy["f1"], _num(accuracy["f1"], 4)),
            Row(
                "over-merged customers",
                "accuracy.over_merged_customers",
                accuracy["over_merged_customers"],
                f"{accuracy['over_merged_customers']:,} of {accuracy['customers']:,}",
            ),
            Row(
                "split people",
                "accuracy.split_people",
                accuracy["split_people"],
                f"{accuracy['split_people']:,} of {accuracy['people']:,}",
            ),
            Row(
                "truth identifiers without customer",
                "accuracy.unassigned_identifiers",
                accuracy["unassigned_identifiers"],
                f"{accuracy['unassigned_identifiers']:,} of {accuracy['identifiers']:,}",
            ),
            Row(
                "shared identifiers quarantined",
                "accuracy.shared_quarantined",
                accuracy["shared_quarantined"],
                f"{accuracy['shared_quarantined']:,} of {accuracy['shared_total']:,}",
            ),
        ]
    lookups = results.get("lookups")
    if lookups:
        out += [
            Row(
                "lookup p50", "lookups.p50_ms", lookups["p50_ms"], _num(lookups["p50_ms"], 2), "ms"
            ),
            Row(
                "lookup p99", "lookups.p99_ms", lookups["p99_ms"], _num(lookups["p99_ms"], 2), "ms"
            ),
            Row(
                "lookup max", "lookups.max_ms", lookups["max_ms"], _num(lookups["max_ms"], 2), "ms"
            ),
            Row(
                "lookup errors",
                "lookups.errors",
                lookups["errors"],
                f"{lookups['errors']} of {lookups['requests']:,}",
            ),
            Row(
                "lookup rate achieved",
                "lookups.achieved_rate",
                lookups["achieved_rate"],
                f"{_num(lookups['achieved_rate'])} of {lookups['target_rate']:g}",
                "req/s",
            ),
        ]
    incremental = results.get("incremental")
    if incremental:
        for phase in incremental["phases"]:
            size = phase["background_identifiers"]
            out.append(
                Row(
                    f"batch median on {size:,} identifiers",
                    f"incremental.median_s_{phase['target_identifiers']}",
                    phase["median_seconds"],
                    _num(phase["median_seconds"], 3),
                    "s",
                )
            )
        out.append(
            Row(
                "incremental cost ratio",
                "incremental.ratio",
                incremental["ratio"],
                _num(incremental["ratio"], 2),
                "x",
            )
        )
        # The peer of the ingest figure: the same kinds of nodes and relationships written
        # by bare UNWIND statements in 10k-row transactions, with no reads and no logic.
        largest = max(incremental["phases"], key=lambda p: p["background_records"])
        if largest.get("load_seconds"):
            floor = largest["background_records"] / largest["load_seconds"]
            out.append(
                Row(
                    "bulk-write peer (no reads, no logic)",
                    "incremental.bulk_records_per_s",
                    floor,
                    f"{floor:,.0f}",
                    "records/s",
                )
            )
            # VMs differ by tens of per cent from one day to the next; the ingest as a
            # share of this run's peer is the figure to compare across runs.
            if ingest and ingest.get("records_per_s"):
                share = ingest["records_per_s"] / floor
                out.append(
                    Row(
                        "ingest / bulk-write peer",
                        "ingest.share_of_peer",
                        share,
                        _num(share, 2),
                        "x",
                    )
                )
    return out


def table(results: dict[str, Any]) -> Table:
    """The rich table: each figure next to its target, PASS/MISS."""
    mode = "quick" if results["args"].get("quick") else "full"
    grid = Table(title=f"idgraph benchmark ({mode}, {results['finished_at']})")
    grid.add_column("figure")
    grid.add_column("value", justify="right")
    grid.add_column("unit")
    grid.add_column("target", justify="right")
    grid.add_column("status")
    for row in rows(results):
        target = row.target
        status = {"PASS": "[green]PASS[/]", "MISS": "[red]MISS[/]"}.get(row.status, "-")
        grid.add_row(
            row.figure,
            row.shown,
            row.unit,
            f"{target.op} {target.threshold:g}" if target else "",
            status,
        )
    return grid


def write(results: dict[str, Any], started: datetime) -> tuple[Path, Path]:
    """Write ``latest.json`` and a timestamped copy (atomically, via ``*.tmp``)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    results = {**results, "checks": [r.as_dict() for r in rows(results)]}
    text = json.dumps(results, indent=2, default=str, allow_nan=True) + "\n"
    mode = "quick" if results["args"].get("quick") else "full"
    stamped = RESULTS_DIR / f"{started.strftime('%Y%m%dT%H%M%SZ')}-{mode}.json"
    latest = RESULTS_DIR / "latest.json"
    for path in (stamped, latest):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return latest, stamped


def print_summary(console: Console, results: dict[str, Any]) -> None:
    console.print(table(results))
    misses = [r.figure for r in rows(results) if r.status == "MISS"]
    if misses:
        console.print(f"[red]{len(misses)} figure(s) miss their target:[/] {', '.join(misses)}")
