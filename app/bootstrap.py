"""Open the graph and the feature services: one place for the CLI, the demo, tests and bench.

The API builds the same :class:`Services` in its lifespan (``app.api.deps``); everything
else calls :func:`connect` (driver, connectivity, schema) and :meth:`Services.over`, or
both at once with :meth:`Opened.connect`.
"""

from __future__ import annotations

from dataclasses import dataclass

from neo4j import Driver

from app.audit.service import AuditService
from app.backup.catalog import BackupCatalog
from app.core.config import Settings
from app.core.errors import IdgraphError, StoreUnavailableError
from app.engine.core import Engine
from app.engine.recluster import ReclusterService
from app.ingest.service import IngestService
from app.model_lifecycle.service import ModelLifecycle
from app.overrides.service import OverrideService
from app.privacy.consent.service import ConsentService
from app.privacy.erasure import ErasureService
from app.privacy.export import ExportService
from app.privacy.retention.rules import parse_rules
from app.privacy.retention.service import RetentionService
from app.privacy.suppression import Suppression
from app.reads.customers import CustomerReads
from app.reads.explain import ExplainService
from app.reads.lookup import LookupService
from app.store.audit import Neo4jAuditStore
from app.store.driver import apply_schema, create_driver
from app.store.export import Neo4jExportStore
from app.store.graph_store import GraphStore


@dataclass(frozen=True)
class Services:
    """The feature services over one store, sharing one configured :class:`Engine`.

    Callers take the one they need (``services.ingestion.ingest(batch)``).
    """

    store: GraphStore
    engine: Engine
    ingestion: IngestService
    erasure: ErasureService
    overrides: OverrideService
    models: ModelLifecycle
    reclustering: ReclusterService
    lookups: LookupService
    customers: CustomerReads
    explanations: ExplainService
    audit: AuditService
    retention: RetentionService
    exports: ExportService
    consent: ConsentService

    @classmethod
    def over(cls, store: GraphStore, settings: Settings) -> Services:
        """Every feature service over ``store``, configured by ``settings``."""
        engine = Engine(settings)
        suppression = Suppression(settings)
        return cls(
            store=store,
            engine=engine,
            ingestion=IngestService(store, engine, suppression),
            erasure=ErasureService(store, engine, suppression, BackupCatalog.of(settings)),
            overrides=OverrideService(store, engine),
            models=ModelLifecycle(store, engine),
            reclustering=ReclusterService(store, engine),
            lookups=LookupService(store, engine),
            customers=CustomerReads(store),
            explanations=ExplainService(store, engine),
            audit=AuditService(Neo4jAuditStore(store)),
            retention=RetentionService(
                store,
                engine,
                suppression,
                parse_rules(settings.retention_rules, set(settings.extra_kinds)),
                settings.retention_batch_size,
            ),
            exports=ExportService(Neo4jExportStore(store)),
            consent=ConsentService(
                store,
                engine,
                IngestService(store, engine, suppression),
                LookupService(store, engine),
                suppression,
            ),
        )


def connect(settings: Settings) -> Driver:
    """The process's driver, connected, with the schema applied.

    Raises:
        StoreUnavailableError: Neo4j does not answer; the message says what to do.
    """
    driver: Driver | None = None
    try:
        driver = create_driver(settings)
        driver.verify_connectivity()
    except Exception as exc:
        if driver is not None:
            driver.close()
        if isinstance(exc, IdgraphError):
            raise
        raise StoreUnavailableError(
            f"cannot reach Neo4j at {settings.bolt_uri} ({exc}); start it with "
            "`idgraph neo4j start` or set NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD."
        ) from None
    try:
        apply_schema(driver, settings.neo4j_database)
    except BaseException:
        driver.close()
        raise
    return driver


@dataclass(frozen=True)
class Opened:
    """A connected driver, the store over it, and the services over the store.

    ``with Opened.connect(settings) as opened:`` closes the driver at the end.
    """

    driver: Driver
    store: GraphStore
    services: Services

    @classmethod
    def connect(cls, settings: Settings) -> Opened:
        """:func:`connect`, then :meth:`Services.over` the store."""
        driver = connect(settings)
        store = GraphStore(driver, settings.neo4j_database)
        return cls(driver, store, Services.over(store, settings))

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
