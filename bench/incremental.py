"""Incremental cost: the same fresh batches ingested on a small and on a large graph.

Resolution is meant to touch only the components a batch reaches, so a batch of new
people should cost about the same on a graph of 10k identifiers as on one of 1M. The
step builds one generator population (so people never share their own identifiers),
and for each background size:

1. wipes the graph and bulk-loads the background (a bench-only shortcut, see
   :mod:`bench.background`), then checkpoints so no flush runs during the measurement;
2. ingests one small warm-up batch through the API (query plans are re-planned after
   the graph grew), unmeasured;
3. ingests ``K`` fresh batches of ``~1000`` records of people not in the background,
   one at a time through ``POST /v1/records``, timing each round trip.

The measured batches are the *same records* at both sizes, so the two medians differ
only by the graph underneath. The large background contains the small one's people (it
is the small one grown). Before the first size, a few batches warm the JVM up on an
empty graph, so the small size is not penalised for coming first.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from neo4j import Driver
from rich.console import Console

from app.core.config import Settings
from app.engine.resolution import ResolutionConfig
from app.sampledata.generator import Record
from bench import background
from bench.harness import Api, CpuMeter, checkpoint, identifier_count, reset_graph
from bench.ingest import POST_TIMEOUT, post_batch

#: Measured mean distinct identifiers per person (generator docstring: ~19.3), with margin.
IDENTIFIERS_PER_PERSON = 19.0
RECORDS_PER_PERSON = 5.9
JIT_WARMUP_BATCHES = 3
PHASE_WARMUP_RECORDS = 100


@dataclass
class PhaseFigures:
    """One background size."""

    target_identifiers: int
    background_identifiers: int
    background_records: int
    background_customers: int
    background_links: int
    model_seconds: float
    load_seconds: float
    identifiers_before_batches: int
    warmup_seconds: float
    batch_records: list[int]
    batch_seconds: list[float]
    median_seconds: float
    cpu_seconds: dict[str, float | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class IncrementalFigures:
    """What the incremental step measured."""

    batches: int
    batch_size: int
    phases: list[PhaseFigures]
    ratio: float
    population_people: int
    population_seconds: float
    property_differences: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def engine_config(settings: Settings) -> ResolutionConfig:
    """The resolution configuration the API builds from the same settings."""
    try:
        from app.engine.core import resolution_config
    except ImportError:  # an engine without configurable policies: the defaults
        return ResolutionConfig(threshold=settings.join_threshold)
    return resolution_config(settings)


def _timed_post(client: httpx.Client, batch: Sequence[Record]) -> tuple[float, str | None]:
    began = time.perf_counter()
    try:
        response = post_batch(client, batch)
        problem = None
        if response.status_code != 200:
            problem = f"HTTP {response.status_code}: {response.text[:300]}"
    except httpx.HTTPError as exc:
        problem = f"{type(exc).__name__}: {exc}"
    return time.perf_counter() - began, problem


def run_incremental(
    driver: Driver,
    settings: Settings,
    api: Api,
    sizes: Sequence[int],
    console: Console,
    batches: int = 5,
    batch_size: int = 1000,
    seed: int = 11,
    meter: CpuMeter | None = None,
) -> IncrementalFigures:
    """Measure ``batches`` fresh batches on a background of each size in ``sizes``.

    Args:
        driver: the bench's Neo4j.
        settings: its settings (database, normalisation).
        api: the API.
        sizes: background sizes in identifiers, smallest first (e.g. 10k and 1M).
        console: for progress.
        batches: measured batches per size (K).
        batch_size: records per measured batch (at most; batches hold whole people).
        seed: the population's generator seed.
        meter: measures CPU per process during the measured batches, if given.
    """
    database = settings.neo4j_database
    config = engine_config(settings)
    fresh_records = (JIT_WARMUP_BATCHES + batches) * batch_size + PHASE_WARMUP_RECORDS
    raw_people = int(fresh_records / RECORDS_PER_PERSON * 1.3) + 50
    people = raw_people + int(max(sizes) / IDENTIFIERS_PER_PERSON * 1.05) + 50

    console.print(
        f"[bold]incremental[/]: generating {people:,} people "
        f"({raw_people:,} for the fresh batches, the rest for backgrounds of "
        f"{', '.join(f'{s:,}' for s in sizes)} identifiers)"
    )
    began = time.perf_counter()
    with background.bulk_progress(console) as progress:
        population = background.build_population(people, seed, raw_people, settings, progress)
    population_seconds = time.perf_counter() - began

    sizes_plan = [batch_size] * JIT_WARMUP_BATCHES + [PHASE_WARMUP_RECORDS]
    sizes_plan += [batch_size] * batches
    packed, used = background.pack_batches(population.groups[: population.raw_groups], sizes_plan)
    jit_batches = packed[:JIT_WARMUP_BATCHES]
    phase_warmup = packed[JIT_WARMUP_BATCHES]
    measured = packed[JIT_WARMUP_BATCHES + 1 :]
    rest = population.groups[used:]
    if any(len(b) < 0.9 * batch_size for b in (*jit_batches, *measured)):
        raise RuntimeError(f"too few fresh people for batches of {batch_size} records")

    phases: list[PhaseFigures] = []
    differences: list[str] = []
    with api.client("writer", timeout=POST_TIMEOUT) as client:
        console.print(f"  JVM warm-up: {len(jit_batches)} batches on an empty graph")
        reset_graph(driver, settings)
        for batch in jit_batches:
            _timed_post(client, batch)

        for target in sizes:
            console.print(f"  [bold]background of ~{target:,} identifiers[/]")
            chosen = _take_identifiers(rest, target)
            reset_graph(driver, settings)
            began = time.perf_counter()
            graph = background.model_graph((r for g in chosen for r in g.records), config)
            model_seconds = time.perf_counter() - began
            began = time.perf_counter()
            with background.bulk_progress(console) as progress:
                background.load(driver, database, graph, datetime.now(UTC), progress)
            checkpoint(driver, database)
            load_seconds = time.perf_counter() - began
            before = identifier_count(driver, database)

            warmup_seconds, _ = _timed_post(client, phase_warmup)
            seconds: list[float] = []
            errors: list[str] = []
            if meter is not None:
                meter.start()
            for index, batch in enumerate(measured):
                elapsed, problem = _timed_post(client, batch)
                seconds.append(elapsed)
                if problem:
                    errors.append(f"batch {index}: {problem}")
                console.print(
                    f"    batch {index + 1}/{len(measured)}: {len(batch)} records in "
                    f"{elapsed:.3f} s" + (f" [red]{problem}[/]" if problem else "")
                )
            cpu = meter.used() if meter is not None else {}
            if not differences and not phases:
                sample_bulk = [r.key for r in graph.records[:300]]
                sample_engine = [f"{r['source']}|{r['record_id']}" for b in measured for r in b]
                differences = background.property_differences(
                    background.property_names(driver, database, sample_bulk),
                    background.property_names(driver, database, sample_engine[:300]),
                )
            phases.append(
                PhaseFigures(
                    target_identifiers=target,
                    background_identifiers=len(graph.identifiers),
                    background_records=len(graph.records),
                    background_customers=len(graph.customers),
                    background_links=len(graph.evidence),
                    model_seconds=model_seconds,
                    load_seconds=load_seconds,
                    identifiers_before_batches=before,
                    warmup_seconds=warmup_seconds,
                    batch_records=[len(b) for b in measured],
                    batch_seconds=seconds,
                    median_seconds=statistics.median(seconds),
                    cpu_seconds=cpu,
                    errors=errors,
                )
            )
            del graph
    ratio = phases[-1].median_seconds / phases[0].median_seconds
    return IncrementalFigures(
        batches=batches,
        batch_size=batch_size,
        phases=phases,
        ratio=ratio,
        population_people=people,
        population_seconds=population_seconds,
        property_differences=differences,
    )


def _take_identifiers(groups: Sequence[background.Group], target: int) -> list[background.Group]:
    """The first groups whose records hold at least ``target`` distinct identifiers."""
    seen: set[str] = set()
    chosen = []
    for group in groups:
        if len(seen) >= target:
            break
        chosen.append(group)
        for record in group.records:
            seen.update(record.identifiers)
    return chosen
