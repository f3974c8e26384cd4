"""Scale-out: several API processes writing one Neo4j at once, as replicas behind a load
balancer would, end in exactly the partition one writer gives (the oracle
:func:`~app.engine.recluster.partition_records` over the same records).

The records come from the sample generator: shared identifiers, households, look-alike
records matched by attributes; the batches are shuffled and sent by several clients at
once, each alternating between the two processes, so that batches touching the same
customers commit concurrently from different processes (the customer locks and the
driver's retries of deadlocks are what keeps them apart).
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.bootstrap import Services
from app.core.config import Settings
from app.engine.core import resolution_config
from app.engine.matching import default_model
from app.engine.normalize import Normaliser
from app.engine.recluster import partition_records, stored_partition
from app.provision.neo4j_server import connection_settings
from app.sampledata.generator import generate_for_records
from app.store.graph_store import GraphStore
from graph_models.records import SourceRecord
from tests.api_process import ApiProcess
from tests.conftest import TEST_HTTP_PORT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: The two API processes' ports, beside this session's Neo4j ports (the webhook test
#: uses TEST_HTTP_PORT + 2).
PORTS = (TEST_HTTP_PORT + 3, TEST_HTTP_PORT + 4)
BATCH = 25
CLIENTS = 4


def post_all(apis: list[ApiProcess], batches: list[list[dict[str, Any]]]) -> list[int]:
    """Send ``batches`` from :data:`CLIENTS` threads, batch i to process i mod 2."""

    def send(index: int) -> int:
        api = apis[index % len(apis)]
        answer = api.post("/v1/records", {"records": batches[index]})
        assert answer.status_code == 200, answer.text
        return index

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(send, range(len(batches))))


def test_two_api_processes_writing_at_once_give_the_single_writer_partition(
    services: Services, store: GraphStore, neo4j_settings: Settings, tmp_path: Path
) -> None:
    records = generate_for_records(600, seed=11).records
    rng = random.Random(3)
    shuffled = list(records)
    rng.shuffle(shuffled)
    batches = [shuffled[i : i + BATCH] for i in range(0, len(shuffled), BATCH)]
    apis = [ApiProcess(neo4j_settings, tmp_path / f"api-{port}.log", port) for port in PORTS]
    try:
        for api in apis:
            api.start()
        assert sorted(post_all(apis, batches)) == list(range(len(batches)))
        # a retried batch (the client did not see the answer) changes nothing
        again = apis[1].post("/v1/records", {"records": batches[0]})
        assert again.status_code == 200, again.text
    finally:
        for api in apis:
            api.stop()

    rows = store.driver.execute_query(
        "MATCH (i:Identifier) RETURN i.key AS key, i.customer_id AS cid, i.shared AS shared",
        database_=store.database,
    ).records
    normaliser = Normaliser()
    oracle = partition_records(
        [normaliser.record(SourceRecord.model_validate(r)) for r in records],
        resolution_config(neo4j_settings),
        default_model(),
    )
    assert stored_partition({r["key"]: r["cid"] for r in rows}) == oracle.groups()
    assert {r["key"]: bool(r["shared"]) for r in rows} == oracle.shared
    assert services.reclustering.recluster(dry_run=True).differing_identifiers == 0
    stored_records = store.driver.execute_query(
        "MATCH (r:Record) RETURN count(r) AS n", database_=store.database
    ).records[0]["n"]
    assert stored_records == len({(r["source"], r["record_id"]) for r in records})


def test_the_routing_scheme_works_for_writes_and_routed_reads(
    store: GraphStore, neo4j_settings: Settings
) -> None:
    """``neo4j://`` (the routing driver a cluster needs) against this server: it routes
    to itself; batches write through the leader and lookups read as reads."""
    from app.store.driver import create_driver

    uri, user, password = connection_settings(neo4j_settings)
    routed = neo4j_settings.model_copy(
        update={
            "neo4j_uri": uri.replace("bolt://", "neo4j://", 1),
            "neo4j_user": user,
            "neo4j_password": password,
        }
    )
    driver = create_driver(routed)
    try:
        driver.verify_connectivity()
        table = driver.execute_query(
            "CALL dbms.routing.getRoutingTable({}, $db) YIELD servers RETURN servers",
            db=routed.neo4j_database,
            database_="system",
        ).records[0]["servers"]
        assert {server["role"] for server in table} == {"WRITE", "READ", "ROUTE"}
        routed_services = Services.over(GraphStore(driver, routed.neo4j_database), routed)
        routed_services.ingestion.ingest(
            [
                SourceRecord.model_validate(
                    {
                        "source": "crm",
                        "record_id": "r1",
                        "identifiers": [
                            {"kind": "email", "value": "routed@example.com"},
                            {"kind": "phone", "value": "+14155550100"},
                        ],
                    }
                )
            ]
        )
        found = routed_services.lookups.lookup("phone", "+14155550100")
        assert found.customer_id is not None
        email = routed_services.lookups.lookup("email", "routed@example.com")
        assert email.customer_id == found.customer_id
    finally:
        driver.close()
