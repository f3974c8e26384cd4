"""``idgraph demo``: the whole stack on one machine, with sample data, in one command."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console

from app.core.config import Settings
from app.core.errors import IdgraphError
from app.provision.neo4j_server import LocalNeo4j, connection_settings
from app.store import catalog

ANALYST_QUERIES = (
    "analyst/customer_360",
    "analyst/shared_identifiers",
    "analyst/largest_customers",
    "analyst/recent_changes",
    "analyst/evidence_path",
)


def run_demo(console: Console, settings: Settings, people: int, serve_api: bool) -> None:
    """Start Neo4j (unless NEO4J_URI is set), load sample data, print how to look, serve."""
    from app.cli import _fail, _service, ingest_file
    from app.sampledata.generator import generate, write_jsonl

    if not settings.external_neo4j:
        server = LocalNeo4j(settings)
        try:
            with console.status("Starting Neo4j (the first run downloads it from Maven Central)…"):
                server.start()
        except IdgraphError as exc:
            raise _fail(exc.message) from None
    driver, service = _service(settings)
    try:
        data = generate(people, seed=7)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sample.jsonl"
            write_jsonl(data.records, path)
            count, problems = ingest_file(service, path, settings.max_batch_size)
        console.print(
            f"loaded {count} sample records for {people} people "
            "(idempotent: running the demo again changes nothing)"
        )
        examples = []
        for key in sorted(data.truth)[:2] + sorted(data.shared)[:1]:
            kind, value = key.split(":", 1)
            try:
                examples.append((kind, value, service.lookup(kind, value)))
            except IdgraphError:
                continue
    finally:
        driver.close()

    _, user, password = connection_settings(settings)
    api = f"http://{settings.host}:{settings.port}"
    browser = (
        "your Neo4j Browser"
        if settings.external_neo4j
        else f"http://127.0.0.1:{settings.neo4j_http_port}/browser/"
    )
    console.rule("idgraph is ready")
    console.print(f"API docs:      {api}/docs")
    console.print(f"Neo4j Browser: {browser}")
    console.print(f"  connect URL: {settings.bolt_uri}   user: {user}   password: {password}")
    console.print("Lookups to try:")
    for kind, value, result in examples:
        console.print(
            f"  curl '{api}/v1/lookup?kind={kind}&value={value}'"
            f"  -> customer {result.customer_id} shared={result.shared}"
        )
    console.print("Browser queries to try (paste into the Browser, or :style with the grass file):")
    for name in ANALYST_QUERIES:
        try:
            first = catalog.query(name).splitlines()[0]
        except KeyError:
            continue
        console.print(f"  cypher/{name}.cypher  {first}")
    console.print("  style: drag cypher/browser/idgraph.grass onto the Browser window")
    if problems:
        console.print(f"[yellow]{len(problems)} sample record(s) were skipped[/]")
    if serve_api:
        import uvicorn

        console.print("serving the API (Ctrl-C stops it; `idgraph neo4j stop` stops Neo4j)")
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            log_level="warning",
        )
