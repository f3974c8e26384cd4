"""The one Neo4j driver of a process, and the schema it needs."""

from __future__ import annotations

import logging
from typing import Any

from neo4j import AsyncDriver, AsyncGraphDatabase, Driver, GraphDatabase

from app.core.config import Settings
from app.provision.neo4j_server import connection_settings
from app.store import catalog
from app.store.changes import number_old_events

log = logging.getLogger(__name__)


def _driver_options(settings: Settings) -> dict[str, Any]:
    uri, user, password = connection_settings(settings)
    return {
        "uri": uri,
        "auth": (user, password),
        "max_connection_pool_size": 50,
        "connection_acquisition_timeout": 30.0,
        "max_transaction_retry_time": 60.0,
        # Warnings such as "unknown property key" on an empty graph are noise here.
        "notifications_min_severity": "OFF",
    }


def create_driver(settings: Settings) -> Driver:
    """A driver for the configured Neo4j (external, or the local server's password file)."""
    return GraphDatabase.driver(**_driver_options(settings))


def create_async_driver(settings: Settings) -> AsyncDriver:
    """An asyncio driver for the API's hot read path (``GET /v1/lookup``), so a lookup
    runs on the event loop instead of hopping to a worker thread and back."""
    return AsyncGraphDatabase.driver(**_driver_options(settings))


def apply_schema(driver: Driver, database: str) -> list[str]:
    """Create every constraint and index in ``cypher/schema`` (idempotent: IF NOT EXISTS).

    Returns the names of the statements applied, in order.
    """
    applied = []
    for name in catalog.names("schema"):
        driver.execute_query(catalog.query(name), database_=database)
        applied.append(name)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    number_old_events(driver, database)  # graphs from before the change feed
    return applied


def schema_applied(driver: Driver, database: str) -> bool:
    """True when every constraint and index of ``cypher/schema`` exists and is online."""
    records, _, _ = driver.execute_query(
        "SHOW INDEXES YIELD name, state RETURN name, state",
        database_=database,
        routing_="r",
    )
    online = {r["name"] for r in records if r["state"] == "ONLINE"}
    return all(_schema_object_name(name) in online for name in catalog.names("schema"))


def _schema_object_name(statement_name: str) -> str:
    # "schema/001_identifier_key" declares the constraint/index named "identifier_key".
    return statement_name.split("/")[-1].split("_", 1)[1]
