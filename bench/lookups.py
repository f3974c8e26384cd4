"""Lookup latency at a fixed request rate, open loop (queueing counts as latency).

Request ``i`` is due at ``t0 + i / rate`` whatever happened to the earlier ones, and its
latency runs from that due time to its answer. A slow server therefore shows up as
growing latency rather than as a politely lower request rate (no coordinated
omission). Requests go out from a thread pool; each thread keeps one persistent
``httpx.Client`` (keep-alive connection).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from bench.harness import Api, CpuMeter
from graph_models.identifiers import split_identifier_key

LOOKUP_TIMEOUT = 10.0


@dataclass
class LookupFigures:
    """What the lookup step measured (latencies in milliseconds)."""

    target_rate: float
    seconds: float
    requests: int
    completed: int
    errors: int
    achieved_rate: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    threads: int
    late_sends: int
    error_samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def lookup_params(key: str) -> dict[str, str]:
    """The query string of ``GET /v1/lookup`` for a normalised identifier key.

    The API normalises what it is given; a key's value is already normal, and a scoped
    account (``account:web/u-1``) is looked up as ``kind=account&value=web/u-1``.
    """
    kind, value = split_identifier_key(key)
    return {"kind": kind, "value": value}


def pick_targets(truth: Mapping[str, str], n: int, seed: int) -> list[dict[str, str]]:
    """``n`` random identifiers of the truth (with repeats), as lookup parameters."""
    keys = sorted(truth)
    rng = random.Random(seed)
    return [lookup_params(rng.choice(keys)) for _ in range(n)]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (``q`` in [0, 100])."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def run_lookups(
    api: Api,
    targets: Sequence[dict[str, str]],
    rate: float,
    seconds: float,
    threads: int = 32,
    warmup: int = 200,
    meter: CpuMeter | None = None,
    warmup_seconds: float = 15.0,
) -> LookupFigures:
    """Send ``rate * seconds`` lookups at ``rate`` per second and measure each one.

    Args:
        api: the API (requests authenticate with its reader key).
        targets: lookup parameters, used round-robin.
        rate: requests per second (the schedule, not a cap on concurrency).
        seconds: length of the run.
        threads: size of the pool; enough that the pool never holds a request back
            unless the server is slower than ``threads / rate`` per request.
        warmup: requests sent (one at a time, unmeasured) before the run.
        meter: started after the warm-up, so its figures cover the run only.
        warmup_seconds: then this long at ``rate``, unmeasured, so the server's JIT and
            pools reach the steady state the measured run reports.
    """
    local = threading.local()
    clients: list[httpx.Client] = []
    clients_lock = threading.Lock()

    def client() -> httpx.Client:
        existing: httpx.Client | None = getattr(local, "client", None)
        if existing is None:
            existing = api.client("reader", timeout=LOOKUP_TIMEOUT)
            local.client = existing
            with clients_lock:
                clients.append(existing)
        return existing

    def one(params: dict[str, str], due: float) -> tuple[float, float, str | None]:
        try:
            response = client().get("/v1/lookup", params=params)
            problem = None
            if response.status_code != 200:
                problem = f"HTTP {response.status_code} for {params}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__} for {params}: {exc}"
        done = time.perf_counter()
        return done - due, done, problem

    n = int(rate * seconds)
    try:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lookup") as pool:
            # Warm-up: connections opened, query plans cached, then the clock starts.
            for i in range(min(warmup, len(targets))):
                pool.submit(one, targets[i], time.perf_counter()).result()
            start = time.perf_counter()
            warm: list[Future[tuple[float, float, str | None]]] = []
            for i in range(int(rate * warmup_seconds)):
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                warm.append(pool.submit(one, targets[-1 - i % len(targets)], start + i / rate))
            for future in warm:
                future.result()
            futures: list[Future[tuple[float, float, str | None]]] = []
            late = 0
            if meter is not None:
                meter.start()
            t0 = time.perf_counter() + 0.05
            for i in range(n):
                due = t0 + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                elif delay < -0.001:
                    late += 1  # the sender itself fell behind; latency still counts from due
                futures.append(pool.submit(one, targets[i % len(targets)], due))
            results = [f.result() for f in futures]
    finally:
        for c in clients:
            c.close()

    latencies = sorted(r[0] * 1000 for r in results)
    problems = [r[2] for r in results if r[2] is not None]
    last = max((r[1] for r in results), default=t0)
    completed = len(results) - len(problems)
    span = max(last - t0, 1e-9)
    return LookupFigures(
        target_rate=rate,
        seconds=seconds,
        requests=n,
        completed=completed,
        errors=len(problems),
        achieved_rate=n / span,
        p50_ms=percentile(latencies, 50),
        p90_ms=percentile(latencies, 90),
        p99_ms=percentile(latencies, 99),
        max_ms=latencies[-1] if latencies else math.nan,
        mean_ms=sum(latencies) / len(latencies) if latencies else math.nan,
        threads=threads,
        late_sends=late,
        error_samples=problems[:5],
    )
