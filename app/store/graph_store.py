"""GraphStore: the only code that talks to Neo4j (managed transactions, named database)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import anyio.to_thread
from neo4j import READ_ACCESS, AsyncDriver, Driver, ManagedTransaction
from neo4j.exceptions import (
    DriverError,
    Neo4jError,
    ResultFailedError,
    ServiceUnavailable,
    SessionExpired,
)

from app.core import metrics
from app.engine.ports import (
    CurrentCustomer,
    IdentifierRow,
    LinkRow,
    LookupRow,
    ResolutionUnit,
    StoredOverride,
)
from app.store import catalog
from app.store.unit import Neo4jUnit, native

T = TypeVar("T")

#: The retry time of background loops (webhook delivery, periodic retention): a round that
#: cannot reach Neo4j gives up after this and the next round tries again, so stopping the
#: API waits this long at most for a call in flight, not the driver's minute.
BACKGROUND_RETRY_SECONDS = 5.0


@contextmanager
def _counting_errors() -> Iterator[None]:
    """Count a Neo4j error by its class (it surfaces after the driver's retries), re-raise."""
    try:
        yield
    except (Neo4jError, DriverError) as exc:
        metrics.NEO4J_ERRORS.labels(error=type(exc).__name__).inc()
        raise


def _counting_retries(work: Callable[[ManagedTransaction], T]) -> Callable[[ManagedTransaction], T]:
    """``work`` that counts its re-runs: a managed transaction calls it again after a
    transient error (deadlock, leader switch) or a lost connection."""
    attempts = 0

    def run(tx: ManagedTransaction) -> T:
        nonlocal attempts
        attempts += 1
        if attempts > 1:
            metrics.NEO4J_RETRIES.inc()
        try:
            return work(tx)
        except ResultFailedError as exc:
            # The driver reports a transient failure (a deadlock, a dropped connection)
            # that reached the transaction through another of its results as
            # ResultFailedError, which it does not retry; the cause is what happened, so
            # raise it for the retry. A connection lost under load is a DriverError
            # (SessionExpired, ServiceUnavailable), not a Neo4jError.
            cause = exc.__cause__
            if isinstance(cause, (Neo4jError, DriverError)) and cause.is_retryable():
                raise cause from exc
            raise

    return run


class GraphStore:
    """Reads and writes the identity graph.

    Args:
        driver: the process's one driver (created in the app's lifespan or the CLI).
        database: the Neo4j database every call names.
        async_driver: the API's asyncio driver, for :meth:`lookup_async` (optional).
        retry_time: how long a managed transaction is retried on transient errors and
            lost connections; None keeps the driver's (a minute, ``app.store.driver``).
            Background loops pass :data:`BACKGROUND_RETRY_SECONDS`.
    """

    def __init__(
        self,
        driver: Driver,
        database: str = "neo4j",
        async_driver: AsyncDriver | None = None,
        retry_time: float | None = None,
    ) -> None:
        self.driver = driver
        self.database = database
        self.async_driver = async_driver
        self._session_options: dict[str, Any] = {"database": database}
        if retry_time is not None:
            self._session_options["max_transaction_retry_time"] = retry_time

    def in_write_transaction(self, work: Callable[[ResolutionUnit], T]) -> T:
        """Run ``work`` in one managed write transaction (retried on transient errors)."""
        with _counting_errors(), self.driver.session(**self._session_options) as session:
            return session.execute_write(_counting_retries(lambda tx: work(Neo4jUnit(tx))))

    def in_read_transaction(self, work: Callable[[Neo4jUnit], T]) -> T:
        """Run ``work`` in one managed read transaction (routed to a reader)."""
        with _counting_errors(), self.driver.session(**self._session_options) as session:
            return session.execute_read(_counting_retries(lambda tx: work(Neo4jUnit(tx))))

    def _read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return [native(r.data()) for r in tx.run(catalog.query(name), **params)]

        with _counting_errors(), self.driver.session(**self._session_options) as session:
            return session.execute_read(_counting_retries(work))

    def lookup(self, key: str) -> LookupRow | None:
        """The hot path of other services: one auto-commit read (RUN + PULL) instead of a
        managed transaction (BEGIN + RUN + PULL + COMMIT), which halves its cost here; a
        lost connection is retried once, and the query is a single idempotent index seek."""
        query = catalog.query("queries/lookup_identifier")
        for attempt in (1, 2):
            try:
                with self.driver.session(
                    database=self.database, default_access_mode=READ_ACCESS
                ) as session:
                    record = session.run(query, key=key).single()
                return cast(LookupRow, native(record.data())) if record else None
            except (ServiceUnavailable, SessionExpired) as exc:
                if attempt == 2:
                    metrics.NEO4J_ERRORS.labels(error=type(exc).__name__).inc()
                    raise
                metrics.NEO4J_RETRIES.inc()
        return None

    async def lookup_async(self, key: str) -> LookupRow | None:
        """:meth:`lookup` on the event loop (the async driver), else in a worker thread."""
        if self.async_driver is None:
            return await anyio.to_thread.run_sync(self.lookup, key)
        query = catalog.query("queries/lookup_identifier")
        for attempt in (1, 2):
            try:
                async with self.async_driver.session(
                    database=self.database, default_access_mode=READ_ACCESS
                ) as session:
                    result = await session.run(query, key=key)
                    record = await result.single()
                return cast(LookupRow, native(record.data())) if record else None
            except (ServiceUnavailable, SessionExpired) as exc:
                if attempt == 2:
                    metrics.NEO4J_ERRORS.labels(error=type(exc).__name__).inc()
                    raise
                metrics.NEO4J_RETRIES.inc()
        return None

    def profile(self, customer_id: str) -> dict[str, Any] | None:
        rows = self._read("queries/customer_profile", customer_id=customer_id)
        return rows[0] if rows else None

    def resolve_customer(self, customer_id: str) -> CurrentCustomer | None:
        rows = self._read("queries/resolve_customer", customer_id=customer_id)
        return cast(CurrentCustomer, rows[0]) if rows else None

    def history(self, customer_id: str, offset: int, limit: int) -> list[dict[str, Any]]:
        return self._read(
            "queries/customer_history", customer_id=customer_id, offset=offset, limit=limit
        )

    def as_of(self, customer_id: str, at: str) -> dict[str, Any] | None:
        rows = self._read("queries/customer_as_of", customer_id=customer_id, at=at)
        return rows[0] if rows else None

    def lineage(
        self, customer_id: str, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(records page, links page) of an active customer."""
        params = {"customer_id": customer_id, "offset": offset, "limit": limit}
        return (
            self._read("queries/customer_lineage_records", **params),
            self._read("queries/customer_lineage_links", **params),
        )

    def all_overrides(self) -> list[dict[str, Any]]:
        return self._read("queries/all_overrides")

    def get_override(self, override_id: str) -> StoredOverride | None:
        rows = self._read("queries/get_override", override_id=override_id)
        return cast(StoredOverride, rows[0]) if rows else None

    def count_shared(self, kinds: list[str]) -> int:
        """How many identifiers of these kinds are quarantined as shared now."""
        rows = self._read("queries/count_shared", kinds=kinds)
        return int(rows[0]["shared"]) if rows else 0

    def iter_identifiers(self, page: int = 50_000) -> Iterator[IdentifierRow]:
        """Every identifier, in key order (for ``recluster``)."""
        after = ""
        while True:
            rows = cast(
                list[IdentifierRow],
                self._read("queries/all_identifiers", after=after, limit=page),
            )
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1]["key"]

    def links_between(self, after: str, upto: str) -> list[LinkRow]:
        """Links whose lower key lies in ``(after, upto]``."""
        return cast(list[LinkRow], self._read("queries/all_links", after=after, upto=upto))

    def wipe(self) -> None:
        """Delete the whole graph (tests and ``idgraph demo --fresh``), in batches."""
        with self.driver.session(database=self.database) as session:
            session.run(catalog.query("queries/wipe")).consume()
