"""Prometheus metrics of the API process (``prometheus-client``), exposed at ``/metrics``.

The metric objects live here, below the API and the store, so that the store can count
Neo4j errors without importing FastAPI. With several API workers (``IDGRAPH_WORKERS``)
``idgraph serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers start, each worker
writes its values to files there, and a scrape of any worker aggregates them all.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from graph_models.customers import Change

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Route label of requests that matched no route: raw paths would make a series per URL.
UNMATCHED_ROUTE = "<unmatched>"

HTTP_REQUESTS = Counter(
    "idgraph_http_requests",
    "HTTP requests served, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "idgraph_http_request_duration_seconds",
    "Time to serve an HTTP request, by route template, method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
RECORDS_INGESTED = Counter(
    "idgraph_records_ingested",
    "Source records accepted by POST /v1/records (a re-sent record counts again).",
)
CUSTOMER_CHANGES = Counter(
    "idgraph_customer_changes",
    "Customer changes made by API calls, by type (created, merged, split, retired, "
    "override, override_removed, erased).",
    ["type"],
)
SHARED_IDENTIFIERS = Gauge(
    "idgraph_shared_identifiers",
    "Identifiers quarantined as shared, counted in Neo4j at scrape time.",
    multiprocess_mode="mostrecent",
)
WEBHOOK_LAG_EVENTS = Gauge(
    "idgraph_webhook_lag_events",
    "Change feed events after a webhook subscription's cursor (not yet delivered or "
    "skipped), read from Neo4j at scrape time.",
    ["webhook_id"],
    multiprocess_mode="mostrecent",
)
WEBHOOK_LAG_SECONDS = Gauge(
    "idgraph_webhook_lag_seconds",
    "Age of the oldest change feed event a webhook subscription has not had yet (0 when "
    "none), read from Neo4j at scrape time.",
    ["webhook_id"],
    multiprocess_mode="mostrecent",
)
NEO4J_ERRORS = Counter(
    "idgraph_neo4j_errors",
    "Neo4j driver errors that reached the store layer (after the driver's own retries), "
    "by exception class.",
    ["error"],
)
NEO4J_RETRIES = Counter(
    "idgraph_neo4j_retries",
    "Transactions re-run after a transient error or a lost connection.",
)
AUDIT_WRITE_FAILURES = Counter(
    "idgraph_audit_write_failures",
    "Audit entries that could not be written (the request was answered as it ended).",
)


def count_changes(changes: Iterable[Change]) -> None:
    """Count each distinct change once (a batch lists a merge under every record it hit)."""
    distinct = {change.model_dump_json(): change for change in changes}
    for change in distinct.values():
        CUSTOMER_CHANGES.labels(type=change.type.value).inc()


def exposition() -> tuple[bytes, str]:
    """The text exposition of this process, or of every worker in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
