"""Schemathesis over the whole OpenAPI document, against the real API and the real Neo4j.

The graph is loaded with the sample data generator's records (and three overrides) first.
Each operation draws its cases from four sources: schemathesis's schema-valid and
schema-violating cases, the document's examples, and schema-valid cases whose customer id,
override id or identifiers exist in the graph (``as_strategy`` with those values fixed),
so that both the found and the not-found paths run. A bounded number of cases per
operation and a fixed seed keep a run repeatable and to a couple of minutes on two cores
(``IDGRAPH_FUZZ_EXAMPLES`` raises the number for a longer hunt). Every answer is checked:
not a 5xx; status, content type and body as the document declares; a schema-violating
request refused. Cases carry the admin key (negative ones may drop it and expect 401).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis
import hypothesis.strategies as st
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from app.bootstrap import Services
from app.core.config import Settings
from app.main import create_app
from app.sampledata.generator import generate
from app.store.graph_store import GraphStore
from graph_models.customers import OverrideRequest
from graph_models.records import SourceRecord
from tests.conftest import API_KEYS
from tests.live_server import live_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SEED = 20261129
PEOPLE = 40
EXAMPLES_PER_OPERATION = int(os.environ.get("IDGRAPH_FUZZ_EXAMPLES", "30"))


@dataclass(frozen=True)
class RealValues:
    """Values that exist in the loaded graph, for cases to name."""

    customer_ids: list[str]
    identifiers: list[tuple[str, str]]  # (kind, value) as stored
    override_ids: list[str]


def _load_sample_data(driver: Any, settings: Settings) -> RealValues:
    store = GraphStore(driver, settings.neo4j_database)
    store.wipe()
    services = Services.over(store, settings)
    records = [SourceRecord.model_validate(r) for r in generate(PEOPLE, seed=SEED).records]
    for start in range(0, len(records), 250):
        services.ingestion.ingest(records[start : start + 250])
    with driver.session(database=settings.neo4j_database) as session:
        customers = session.run("MATCH (c:Customer) RETURN c.customer_id AS id ORDER BY id").value()
        identifiers = [
            (row["kind"], row["value"])
            for row in session.run(
                "MATCH (i:Identifier) RETURN i.kind AS kind, i.value AS value ORDER BY i.key"
            )
        ]
    overrides = []
    for (ka, va), (kb, vb) in zip(identifiers[0:6:2], identifiers[1:6:2], strict=True):
        override = services.overrides.add(
            OverrideRequest(
                a=f"{ka}:{va}", b=f"{kb}:{vb}", decision="different", reason="fuzz", actor="t"
            )
        )
        overrides.append(override.override_id)
    return RealValues(customers, identifiers, overrides)


@pytest.fixture(scope="module")
def real_values(driver, neo4j_settings: Settings) -> RealValues:  # type: ignore[no-untyped-def]
    return _load_sample_data(driver, neo4j_settings)


@pytest.fixture(scope="module")
def api_url(real_values: RealValues, neo4j_settings: Settings) -> Iterator[str]:
    """The real app served by uvicorn on 127.0.0.1, over real HTTP."""
    app = create_app(neo4j_settings.model_copy(update={"api_keys": "test-admin-key:admin"}))
    with live_server(app) as (host, port):
        yield f"http://{host}:{port}"


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
            # A batch can wait on Neo4j for seconds on a busy two-core machine: slow is not
            # what this test is about (the default would fail a request after 10 s).
            "request-timeout": 120,
            # Positive cases carry the admin key; negative ones may leave it out (401).
            "auth": {"openapi": {"HTTPBearer": {"bearer": API_KEYS["admin"]}}},
        }
    )


@pytest.fixture(scope="module")
def api_schema(api_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json", config=_config())


def _with_real_values(
    operation: Any, path: str, method: str, real: RealValues
) -> list[st.SearchStrategy[Any]]:
    """Positive cases whose ids and identifiers exist in the graph (the rest generated)."""

    def positive(**fixed: Any) -> st.SearchStrategy[Any]:
        return operation.as_strategy(GenerationMode.POSITIVE, **fixed)

    identifier = st.sampled_from([{"kind": k, "value": v} for k, v in real.identifiers])
    ref = st.sampled_from([f"{k}:{v}" for k, v in real.identifiers])
    refs = st.fixed_dictionaries({"a": ref, "b": ref})
    if "{customer_id}" in path:
        ids = st.sampled_from(real.customer_ids)
        return [ids.flatmap(lambda c: positive(path_parameters={"customer_id": c}))]
    if "{override_id}" in path:
        ids = st.sampled_from(real.override_ids)
        return [ids.flatmap(lambda o: positive(path_parameters={"override_id": o}))]
    if path == "/v1/identifiers/{kind}/{value}":
        return [identifier.flatmap(lambda kv: positive(path_parameters=kv))]
    if (path, method) == ("/v1/lookup", "GET"):
        return [identifier.flatmap(lambda kv: positive(query=kv))]
    if (path, method) == ("/v1/lookup", "POST"):
        return [identifier.flatmap(lambda kv: positive(body=kv))]
    if (path, method) == ("/v1/consent", "POST"):
        said = st.tuples(identifier, st.sampled_from(["marketing", "analytics"]), st.booleans())
        bodies = said.map(lambda d: {**d[0], "purpose": d[1], "granted": d[2]})
        return [bodies.flatmap(lambda body: positive(body=body))]
    if path == "/v1/explain":
        return [refs.flatmap(lambda ab: positive(query=ab))]
    if (path, method) == ("/v1/overrides", "POST"):
        decision = st.sampled_from(["same", "different"])
        bodies = st.tuples(refs, decision).map(
            lambda d: {**d[0], "decision": d[1], "reason": "fuzz", "actor": "test"}
        )
        return [bodies.flatmap(lambda body: positive(body=body))]
    return []


def _operations() -> list[tuple[str, str]]:
    """(path, method) of every operation in the OpenAPI document (no database needed)."""
    spec = create_app(Settings(api_keys="")).openapi()
    return [(path, method.upper()) for path, item in spec["paths"].items() for method in item]


@pytest.mark.parametrize(("path", "method"), _operations())
def test_no_server_errors_and_responses_match_the_schema(
    api_schema: Any, real_values: RealValues, path: str, method: str
) -> None:
    operation = api_schema[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        *operation.get_strategies_from_examples(),
        *_with_real_values(operation, path, method, real_values),
    )

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=cases)
    def run(case: Any) -> None:
        # Values are checked per kind (an email must parse), beyond what a JSON schema can
        # say: a schema-valid value may rightly get 422, so that check does not apply.
        case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])

    run()
