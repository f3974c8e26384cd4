"""The accuracy benchmark's figures: side-by-side rich tables, targets and the results file."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.report import RESULTS_DIR, Target

#: Sides in table order: idgraph's default model (read back right after ingest), idgraph
#: fitted and re-matched (the side the targets are about), Splink.
SIDES = ("idgraph-default", "idgraph", "splink")

#: Target of idgraph's pairwise F1 on febrl4 and realistic, of its link ECE on every data
#: set, and of its conflicting customers on realistic.
FEBRL4_F1 = Target(">=", 0.95)
REALISTIC_F1 = Target(">=", 0.95)
LINK_ECE = Target("<=", 0.05)
CONFLICTING = Target("<=", 0)


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
        f1_target = {"febrl4": FEBRL4_F1, "realistic": REALISTIC_F1}.get(dataset)
        if f1_target is not None:
            add(
                dataset,
                "idgraph pairwise F1",
                idgraph,
                f"{f1_target.op} {f1_target.threshold:g}",
                None if idgraph is None else f1_target.met(idgraph),
            )
        if dataset == "realistic":
            conflicting = _get(
                _side(results, dataset, "idgraph"), "conflicts", "conflicting_clusters"
            )
            add(
                dataset,
                "idgraph conflicting customers",
                conflicting,
                f"{CONFLICTING.op} {CONFLICTING.threshold:g}",
                None if conflicting is None else CONFLICTING.met(conflicting),
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


def _rows(results: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """``(data set, side, its entry)`` for every side that ran or failed, in table order."""
    out = []
    for dataset, entry in results["datasets"].items():
        for side in SIDES:
            if side in entry.get("sides", {}):
                out.append((dataset, side, _side(results, dataset, side)))
    return out


def _label_columns(grid: Table) -> None:
    """The data set and side columns, never cut: the figures give way instead."""
    grid.add_column("data set", no_wrap=True, min_width=len("realistic"))
    grid.add_column("side", no_wrap=True, min_width=max(map(len, SIDES)))


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _data_table(results: dict[str, Any]) -> Table:
    grid = Table(title="Data sets")
    grid.add_column("data set")
    grid.add_column("records", justify="right")
    grid.add_column("entities", justify="right")
    grid.add_column("true pairs", justify="right")
    grid.add_column("records per source")
    for dataset, entry in results["datasets"].items():
        per_source = entry.get("notes", {}).get("records_per_source", {})
        grid.add_row(
            dataset,
            _count(entry["records"]),
            _count(entry["entities"]),
            _count(entry.get("true_pairs")),
            ", ".join(f"{source} {n:,}" for source, n in per_source.items()),
        )
    return grid


def _pair_table(results: dict[str, Any], title: str, prefix: str) -> Table:
    grid = Table(title=f"{title}: P = precision, R = recall")
    _label_columns(grid)
    for figure in ("P", "R", "F1"):
        grid.add_column(figure, justify="right")
    for dataset, side, entry in _rows(results):
        grid.add_row(
            dataset,
            side,
            *(_num(_get(entry, "scores", prefix + f)) for f in ("precision", "recall", "f1")),
        )
    return grid


def _customers_table(results: dict[str, Any]) -> Table:
    grid = Table(
        title="Customers (seconds: loading + matching + clustering; largest: its records). "
        "Over-merged: holding more than one person; conflicting: holding two people whose "
        "first names and birth dates both differ"
    )
    _label_columns(grid)
    for column in (
        "seconds",
        "custo-\nmers",
        "over-\nmerged",
        "largest",
        "conf-\nlicting",
    ):
        grid.add_column(column, justify="right")
    for dataset, side, entry in _rows(results):
        grid.add_row(
            dataset,
            side,
            _num(_get(entry, "seconds"), 1),
            _count(_get(entry, "scores", "clusters")),
            _count(_get(entry, "scores", "over_merged_clusters")),
            _count(_get(entry, "scores", "largest_cluster")),
            _count(_get(entry, "conflicts", "conflicting_clusters")),
        )
    return grid


def _calibration_table(results: dict[str, Any]) -> Table:
    grid = Table(title="Calibration: expected calibration error, 10 equal-width bins")
    _label_columns(grid)
    grid.add_column("link ECE", justify="right")
    grid.add_column("scored pairs", justify="right")
    grid.add_column("customer ECE", justify="right")
    grid.add_column("customers\n(>= 2 rec.)", justify="right")
    for dataset, side, entry in _rows(results):
        grid.add_row(
            dataset,
            side,
            _num(_get(entry, "link_calibration", "ece")),
            _count(_get(entry, "link_calibration", "predictions")),
            _num(_get(entry, "customer_calibration", "ece")),
            _count(_get(entry, "customer_calibration", "predictions")),
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
    grid = Table(title=f"Targets (accuracy, {results['finished_at']})")
    grid.add_column("data set")
    grid.add_column("figure")
    grid.add_column("value", justify="right")
    grid.add_column("target", justify="right")
    grid.add_column("status")
    for check in results["checks"]:
        status = {"PASS": "[green]PASS[/]", "MISS": "[red]MISS[/]"}.get(check["status"], "n/a")
        value = check["value"]
        shown = _count(value) if isinstance(value, int) else _num(value)
        grid.add_row(check["dataset"], check["figure"], shown, check["target"], status)
    return grid


def _sweep_table(results: dict[str, Any]) -> Table | None:
    grid = Table(
        title="Splink's predictions clustered at other thresholds (chosen with the truth "
        "in hindsight: a ceiling for its configuration, not what a user gets)"
    )
    for column in ("data set", "threshold", "P", "R", "F1", "largest"):
        grid.add_column(column, justify="left" if column == "data set" else "right")
    rows = 0
    for dataset in results["datasets"]:
        sweep = _get(_side(results, dataset, "splink"), "notes", "threshold_sweep") or {}
        for threshold, scores in sweep.items():
            rows += 1
            grid.add_row(
                dataset,
                threshold,
                *(_num(scores[f"pairwise_{f}"]) for f in ("precision", "recall", "f1")),
                _count(scores["largest_cluster"]),
            )
    return grid if rows else None


def print_report(console: Console, results: dict[str, Any]) -> None:
    """Every table: data sets, pairwise, B-cubed, customers and time, calibration,
    idgraph reliability, targets."""
    console.print(_data_table(results))
    console.print(_pair_table(results, "Pairwise (record pairs)", "pairwise_"))
    console.print(_pair_table(results, "B-cubed (per-record averages)", "bcubed_"))
    console.print(_customers_table(results))
    sweep = _sweep_table(results)
    if sweep is not None:
        console.print(sweep)
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
