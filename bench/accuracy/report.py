"""The Febrl benchmark's figures: side-by-side rich tables, targets and the results file."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.report import RESULTS_DIR, Target

SIDES = ("idgraph", "splink")

#: Target of idgraph's pairwise F1 on febrl4 and of its link ECE on every data set.
FEBRL4_F1 = Target(">=", 0.95)
LINK_ECE = Target("<=", 0.05)


def _side(results: dict[str, Any], dataset: str, side: str) -> dict[str, Any] | None:
    entry = results["datasets"].get(dataset, {}).get("sides", {}).get(side)
    return entry if entry and "scores" in entry else None


def _get(entry: dict[str, Any] | None, *path: str) -> Any:
    value: Any = entry
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _num(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Targets and PASS / MISS (``n/a`` when a side did not run) per data set."""
    out: list[dict[str, Any]] = []

    def add(dataset: str, figure: str, value: float | None, target: str, met: bool | None) -> None:
        status = "n/a" if met is None else ("PASS" if met else "MISS")
        out.append(
            {
                "dataset": dataset,
                "figure": figure,
                "value": value,
                "target": target,
                "status": status,
            }
        )

    for dataset in results["datasets"]:
        idgraph = _get(_side(results, dataset, "idgraph"), "scores", "pairwise_f1")
        splink = _get(_side(results, dataset, "splink"), "scores", "pairwise_f1")
        add(
            dataset,
            "idgraph pairwise F1 >= Splink's",
            idgraph,
            f">= {_num(splink)}" if splink is not None else ">= Splink",
            None if idgraph is None or splink is None else idgraph >= splink,
        )
        if dataset == "febrl4":
            add(
                dataset,
                "idgraph pairwise F1",
                idgraph,
                f"{FEBRL4_F1.op} {FEBRL4_F1.threshold:g}",
                None if idgraph is None else FEBRL4_F1.met(idgraph),
            )
        ece = _get(_side(results, dataset, "idgraph"), "link_calibration", "ece")
        add(
            dataset,
            "idgraph link ECE",
            ece,
            f"{LINK_ECE.op} {LINK_ECE.threshold:g}",
            None if ece is None else LINK_ECE.met(ece),
        )
    return out


def _pair_table(results: dict[str, Any], title: str, prefix: str) -> Table:
    grid = Table(title=f"{title}: P = precision, R = recall")
    grid.add_column("data set")
    for figure in ("P", "R", "F1"):
        for side in SIDES:
            grid.add_column(f"{figure}\n{side}", justify="right")
    for dataset in results["datasets"]:
        cells = [dataset]
        for figure in ("precision", "recall", "f1"):
            for side in SIDES:
                cells.append(_num(_get(_side(results, dataset, side), "scores", prefix + figure)))
        grid.add_row(*cells)
    return grid


def _time_table(results: dict[str, Any]) -> Table:
    grid = Table(title="Size and time (seconds: loading + matching + clustering)")
    grid.add_column("data set")
    grid.add_column("records", justify="right")
    grid.add_column("entities", justify="right")
    for side in SIDES:
        grid.add_column(f"seconds\n{side}", justify="right")
    for side in SIDES:
        grid.add_column(f"clusters\n{side}", justify="right")
    for dataset, entry in results["datasets"].items():
        sides = [_side(results, dataset, side) for side in SIDES]
        grid.add_row(
            dataset,
            f"{entry['records']:,}",
            f"{entry['entities']:,}",
            *(_num(_get(s, "seconds"), 1) for s in sides),
            *(_count(_get(s, "scores", "clusters")) for s in sides),
        )
    return grid


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _calibration_table(results: dict[str, Any]) -> Table:
    grid = Table(title="Calibration: expected calibration error, 10 equal-width bins")
    grid.add_column("data set")
    for side in SIDES:
        grid.add_column(f"link ECE\n{side}", justify="right")
    for side in SIDES:
        grid.add_column(f"pairs\n{side}", justify="right")
    grid.add_column("customer\nECE idgraph", justify="right")
    grid.add_column("customers\n(>= 2 rec.)", justify="right")
    for dataset in results["datasets"]:
        sides = [_side(results, dataset, side) for side in SIDES]
        grid.add_row(
            dataset,
            *(_num(_get(s, "link_calibration", "ece")) for s in sides),
            *(_count(_get(s, "link_calibration", "predictions")) for s in sides),
            _num(_get(sides[0], "customer_calibration", "ece")),
            _count(_get(sides[0], "customer_calibration", "predictions")),
        )
    return grid


def _reliability_table(dataset: str, entry: dict[str, Any]) -> Table:
    grid = Table(title=f"idgraph reliability on {dataset}: links | customers")
    grid.add_column("probability")
    for kind in ("link", "customer"):
        grid.add_column(f"{kind}s", justify="right")
        grid.add_column("mean\npredicted", justify="right")
        grid.add_column("observed\nfrequency", justify="right")
    links = entry["link_calibration"]["bins"]
    customers = entry["customer_calibration"]["bins"]
    for link, customer in zip(links, customers, strict=True):
        cells = [f"[{link['lower']:.1f}, {link['upper']:.1f})"]
        for b in (link, customer):
            cells += [
                _count(b["count"]),
                _num(b["mean_predicted"], 3),
                _num(b["observed_frequency"], 3),
            ]
        grid.add_row(*cells)
    return grid


def _checks_table(results: dict[str, Any]) -> Table:
    grid = Table(title=f"Targets (Febrl accuracy, {results['finished_at']})")
    grid.add_column("data set")
    grid.add_column("figure")
    grid.add_column("value", justify="right")
    grid.add_column("target", justify="right")
    grid.add_column("status")
    for check in results["checks"]:
        status = {"PASS": "[green]PASS[/]", "MISS": "[red]MISS[/]"}.get(check["status"], "n/a")
        grid.add_row(
            check["dataset"], check["figure"], _num(check["value"]), check["target"], status
        )
    return grid


def print_report(console: Console, results: dict[str, Any]) -> None:
    """Every table: pairwise, B-cubed, time, calibration, idgraph reliability, targets."""
    console.print(_pair_table(results, "Pairwise (record pairs)", "pairwise_"))
    console.print(_pair_table(results, "B-cubed (per-record averages)", "bcubed_"))
    console.print(_time_table(results))
    console.print(_calibration_table(results))
    for dataset in results["datasets"]:
        idgraph = _side(results, dataset, "idgraph")
        if idgraph is not None:
            console.print(_reliability_table(dataset, idgraph))
    console.print(_checks_table(results))
    misses = [f"{c['dataset']}: {c['figure']}" for c in results["checks"] if c["status"] == "MISS"]
    if misses:
        console.print(f"[red]{len(misses)} figure(s) miss their target:[/] {', '.join(misses)}")


def write(
    results: dict[str, Any], started: datetime, directory: Path = RESULTS_DIR
) -> tuple[Path, Path]:
    """Write ``accuracy-latest.json`` and ``accuracy-<UTC stamp>.json`` (via ``*.tmp``)."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, default=str, allow_nan=True) + "\n"
    stamped = directory / f"accuracy-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    latest = directory / "accuracy-latest.json"
    for path in (stamped, latest):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return latest, stamped
