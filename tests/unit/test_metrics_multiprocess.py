"""With PROMETHEUS_MULTIPROC_DIR set (``idgraph serve --workers N``), a scrape of any worker
sums the counters of all of them (each worker is a process of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

WORKER = """
from app.core import metrics
metrics.RECORDS_INGESTED.inc({n})
metrics.HTTP_REQUESTS.labels(route="/v1/records", method="POST", status="200").inc()
"""

SCRAPE = """
import sys
from app.core import metrics
sys.stdout.write(metrics.exposition()[0].decode())
"""


def run(code: str, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_workers_are_summed(tmp_path: Path) -> None:
    run(WORKER.format(n=2), tmp_path)
    run(WORKER.format(n=3), tmp_path)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(run(SCRAPE, tmp_path))
        for s in family.samples
    }
    assert samples[("idgraph_records_ingested_total", ())] == 5
    labels = (("method", "POST"), ("route", "/v1/records"), ("status", "200"))
    assert samples[("idgraph_http_requests_total", labels)] == 2
