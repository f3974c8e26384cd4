"""The idgraph side of the accuracy comparison: the live engine on the bench's Neo4j.

Each data set goes the way a user would take it: records in through
:meth:`IngestService.ingest` (1000 per transaction, scored with the built-in default
model), then ``idgraph model fit`` (EM over the candidate pairs found by the graph's own
blocks) and ``idgraph rematch`` (every record re-scored with the fitted model, customers
re-evaluated incrementally). The clusters are read back from Neo4j twice: right after
ingest (side ``idgraph-default``: what a user gets before fitting anything) and after the
rematch (side ``idgraph``). A record's customer is the customer of its ``record``
identifier.

The server is the bench's local Neo4j (ports 7787/7574, its own state directory), started
on first use and stopped when the process exits; ``NEO4J_URI`` selects an external one.
"""

from __future__ import annotations

import atexit
import contextlib
import time
from typing import Any

from neo4j import Driver

from app.bootstrap import Services
from app.core.config import Settings
from app.store.graph_store import GraphStore
from bench.accuracy.febrl import Dataset
from bench.accuracy.metrics import SideResult
from bench.harness import bench_settings, neo4j_server, reset_graph
from graph_models.records import SourceRecord

BATCH = 1000
#: Store nearly every compared pair as evidence (the default keeps p >= 0.05), so the
#: reliability table sees the low-probability links too, not only the confident ones.
MIN_PROBABILITY = 0.001

_stack = contextlib.ExitStack()
_driver: Driver | None = None


def _connect(settings: Settings) -> Driver:
    global _driver
    if _driver is None:
        _driver = _stack.enter_context(neo4j_server(settings))
        atexit.register(_stack.close)
    return _driver


def run_idgraph(dataset: Dataset) -> list[SideResult]:
    """Load ``dataset`` into a fresh graph, read the customers, fit the model, re-match,
    read them again: ``[idgraph-default, idgraph]``."""
    settings = bench_settings()
    driver = _connect(settings)
    reset_graph(driver, settings)
    store = GraphStore(driver, settings.neo4j_database)
    services = Services.over(
        store,
        settings.model_copy(update={"match_min_probability": MIN_PROBABILITY, **dataset.settings}),
    )
    records = [SourceRecord.model_validate(r) for r in dataset.records]
    keys = [r.key for r in records]

    started = time.perf_counter()
    for start in range(0, len(records), BATCH):
        services.ingestion.ingest(records[start : start + BATCH])
    ingested = time.perf_counter()
    default = side_result("idgraph-default", driver, settings, keys, ingested - started)
    default.notes.update(
        {
            "ingest_seconds": round(ingested - started, 2),
            "records_per_second_ingest": round(len(records) / max(ingested - started, 1e-9), 1),
            "min_probability_stored": MIN_PROBABILITY,
            "settings": dataset.settings,
        }
    )

    fit_started = time.perf_counter()  # the read-back above is not timed
    model, fitted_pairs = services.models.fit()
    fitted = time.perf_counter()
    rematched, changes = services.models.rematch()
    finished = time.perf_counter()
    seconds = (ingested - started) + (finished - fit_started)
    result = side_result("idgraph", driver, settings, keys, seconds)
    result.notes.update(
        {
            "ingest_seconds": round(ingested - started, 2),
            "fit_seconds": round(fitted - fit_started, 2),
            "rematch_seconds": round(finished - fitted, 2),
            "records_per_second_ingest": round(len(records) / max(ingested - started, 1e-9), 1),
            "min_probability_stored": MIN_PROBABILITY,
            "settings": dataset.settings,
            "model_version": model.version,
            "model_prior": model.prior,
            "model": model.describe(),
            "fitted_on_candidate_pairs": fitted_pairs,
            "rematched_records": rematched,
            "rematch_changes": len(changes),
        }
    )
    return [default, result]


def side_result(
    name: str, driver: Driver, settings: Settings, keys: list[str], seconds: float
) -> SideResult:
    """The graph's customers now, as side ``name``; a record without one is its own."""
    clusters, confidence, pairs, blocks = read_back(driver, settings.neo4j_database)
    missing = [key for key in keys if key not in clusters]
    for key in missing:  # a record with no customer is a cluster of its own
        clusters[key] = f"unassigned:{key}"
    return SideResult(
        name=name,
        clusters=clusters,
        pair_probabilities=pairs,
        cluster_confidence=confidence,
        seconds=seconds,
        notes={"records_without_customer": len(missing), **blocks},
    )


def read_back(
    driver: Driver, database: str
) -> tuple[dict[str, str], dict[str, float], list[tuple[str, str, float]], dict[str, Any]]:
    """Record -> customer, customer confidences, stored record pairs, block figures."""
    rows, _, _ = driver.execute_query(
        "MATCH (r:Record)-[:OBSERVED]->(i:Identifier) WHERE i.customer_id IS NOT NULL "
        "RETURN r.key AS key, i.customer_id AS customer",
        database_=database,
        routing_="r",
    )
    clusters = {r["key"]: r["customer"] for r in rows}
    rows, _, _ = driver.execute_query(
        "MATCH (c:Customer) WHERE c.status IS NULL OR c.status = 'active' "
        "RETURN c.customer_id AS id, c.confidence AS confidence",
        database_=database,
        routing_="r",
    )
    confidence = {r["id"]: float(r["confidence"]) for r in rows if r["confidence"] is not None}
    rows, _, _ = driver.execute_query(
        "MATCH ()-[s:SIMILAR]->() UNWIND range(0, size(s.pairs) - 1) AS i "
        "RETURN s.pairs[i] AS pair, s.pair_probabilities[i] AS p",
        database_=database,
        routing_="r",
    )
    pairs = []
    for r in rows:
        a, _, b = r["pair"].partition(" ~ ")
        pairs.append((a, b, float(r["p"])))
    rows, _, _ = driver.execute_query(
        "MATCH (b:Block) RETURN count(b) AS blocks, max(b.size) AS largest, "
        "avg(b.size) AS mean, sum(CASE WHEN b.size > $cap THEN 1 ELSE 0 END) AS oversized",
        cap=bench_settings().match_max_block,
        database_=database,
        routing_="r",
    )
    figures = dict(rows[0]) if rows else {}
    return clusters, confidence, pairs, {f"blocks_{k}": v for k, v in figures.items()}
