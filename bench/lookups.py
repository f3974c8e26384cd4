"""Lookup latency at a fixed request rate, open loop (queueing counts as latency).

Request ``i`` is due at ``t0 + i / rate`` whatever happened to the earlier ones, and its
latency runs from that due time to its answer. A slow server therefore shows up as
growing latency rather than as a politely lower request rate (no coordinated
omission). Requests go out from one asyncio loop over a pool of keep-alive connections
(see :class:`_Connection`), so the load generator takes little of the CPU it measures.

The bench process holds the generated data set (hundreds of thousands of dicts), so a
full collection of Python's cyclic garbage collector stalls its loop for tens of ms and
every request due meanwhile would be charged with the stall. The run therefore freezes
what exists and switches the collector off until it ends; ``late_sends`` counts any
stall that remains.
"""

from __future__ import annotations

import asyncio
import gc
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

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
    #: The slowest requests as (seconds into the measured run, latency in ms), slowest
    #: first: tails bunched at one moment point at a pause (GC, replanning), spread
    #: ones at queueing.
    slowest: list[tuple[float, float]] = field(default_factory=list)

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


class _Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough HTTP for ``GET /v1/lookup``.

    The load generator shares the 2-core box with the API and Neo4j, so it must cost far
    less CPU than what it measures: a thread pool of ``httpx`` clients spent about 1.5 ms
    of CPU per request (a quarter of the box at 200 req/s); raw asyncio streams spend a
    tenth of that.
    """

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.header = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        try:
            self.writer.write(f"GET {path} HTTP/1.1\r\n".encode() + self.header)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await self.reader.readexactly(length) if length else b""
        except BaseException:
            self.close()
            raise
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


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
        threads: how many keep-alive connections requests may be in flight on at once;
            enough that none is held back unless the server is slower than
            ``threads / rate`` per request.
        warmup: requests sent (one at a time, unmeasured) before the run.
        meter: started after the warm-up, so its figures cover the run only.
        warmup_seconds: then this long at ``rate``, unmeasured, so the server's JIT and
            pools reach the steady state the measured run reports.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        return asyncio.run(
            _run_lookups(api, targets, rate, seconds, threads, warmup, meter, warmup_seconds)
        )
    finally:
        gc.enable()
        gc.unfreeze()


async def _run_lookups(
    api: Api,
    targets: Sequence[dict[str, str]],
    rate: float,
    seconds: float,
    threads: int,
    warmup: int,
    meter: CpuMeter | None,
    warmup_seconds: float,
) -> LookupFigures:
    url = urlsplit(api.base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    connections = [_Connection(host, port, api.reader_key) for _ in range(max(1, threads))]
    for connection in connections:
        idle.put_nowait(connection)
    paths = [f"/v1/lookup?{urlencode(t)}" for t in targets]
    loop = asyncio.get_running_loop()

    async def one(path: str, due: float) -> tuple[float, float, str | None]:
        connection = await idle.get()
        try:
            status, body = await asyncio.wait_for(connection.get(path), LOOKUP_TIMEOUT)
            problem = None
            if status != 200:
                problem = f"HTTP {status} for {path}: {body[:200]!r}"
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            problem = f"{type(exc).__name__} for {path}: {exc}"
        finally:
            idle.put_nowait(connection)
        done = loop.time()
        return done - due, done, problem

    Outcome = tuple[float, float, str | None]

    async def schedule(count: int, offset: int) -> tuple[list[Outcome], int, float]:
        start = loop.time() + 0.05
        tasks = []
        late = 0
        for i in range(count):
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.001:
                late += 1  # the sender itself fell behind; latency still counts from due
            tasks.append(asyncio.ensure_future(one(paths[(offset + i) % len(paths)], due)))
        return list(await asyncio.gather(*tasks)), late, start

    try:
        # Warm-up: connections opened, query plans cached, then the clock starts.
        for i in range(min(warmup, len(paths))):
            await one(paths[i], loop.time())
        await schedule(int(rate * warmup_seconds), len(paths) // 2)
        if meter is not None:
            meter.start()
        results, late, t0 = await schedule(int(rate * seconds), 0)
    finally:
        for connection in connections:
            connection.close()
    n = len(results)

    ranked = sorted(results, key=lambda r: r[0])
    latencies = [r[0] * 1000 for r in ranked]
    slowest = ranked[::-1][: max(1, n // 100)]
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
        slowest=[(round(r[1] - r[0] - t0, 3), round(r[0] * 1000, 2)) for r in slowest],
    )
