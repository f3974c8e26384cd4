"""``idgraph demo``: the whole stack on one machine, with sample data, in one command."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from rich.console import Console

from app.core.config import Settings, get_settings
from app.core.errors import IdgraphError
from app.provision.neo4j_server import LocalNeo4j, connection_settings
from app.store import catalog

ANALYST_QUERIES = (
    "analyst/customer_360",
    "analyst/shared_identifiers",
    "analyst/largest_customers",
    "analyst/recent_changes",
    "analyst/evidence_path",
    "analyst/similar_records",
    "analyst/largest_blocks",
)


def demo_api_key(settings: Settings) -> str:
    """An admin key for the demo, generated once and kept (mode 0600) in the state dir."""
    path = settings.state_dir / "demo-api-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("idg_" + secrets.token_urlsafe(24))
    return path.read_text().strip()


def run_demo(console: Console, settings: Settings, people: int, serve_api: bool) -> None:
    """Start Neo4j (unless NEO4J_URI is set), load sample data, print how to look, serve.

    Raises:
        IdgraphError: Neo4j could not be started or reached (the message says why).
    """
    from app.bootstrap import Opened
    from app.loading.console import load_files
    from app.sampledata.generator import generate, write_jsonl

    api_key = None
    if not settings.api_keys:
        api_key = demo_api_key(settings)
        os.environ["IDGRAPH_API_KEYS"] = f"{api_key}:admin"
        get_settings.cache_clear()  # the served app reads its settings afresh

    if not settings.external_neo4j:
        server = LocalNeo4j(settings)
        with console.status("Starting Neo4j (the first run downloads it from Maven Central)…"):
            server.start()
    with Opened.connect(settings) as opened:
        services = opened.services
        data = generate(people, seed=7)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sample.jsonl"
            write_jsonl(data.records, path)
            summary = load_files(console, services.ingestion, [path], None, settings.max_batch_size)
        console.print(
            f"loaded {summary.stored} sample records for {people} people "
            "(idempotent: running the demo again changes nothing)"
        )
        examples = []
        for key in sorted(data.truth)[:2] + sorted(data.shared)[:1]:
            kind, value = key.split(":", 1)
            try:
                examples.append((kind, value, services.lookups.lookup(kind, value)))
            except IdgraphError:
                continue

    _, user, password = connection_settings(settings)
    api = f"http://{settings.host}:{settings.port}"
    browser = (
        "your Neo4j Browser"
        if settings.external_neo4j
        else f"http://127.0.0.1:{settings.neo4j_http_port}/browser/"
    )
    console.rule("idgraph is ready")
    console.print(f"API docs:      {api}/docs")
    if api_key:
        console.print(f"API key:       {api_key}  (role admin; kept in {settings.state_dir})")
    else:
        console.print("API keys:      from IDGRAPH_API_KEYS")
    header = f"-H 'Authorization: Bearer {api_key or '<your key>'}'"
    console.print(f"Neo4j Browser: {browser}")
    console.print(f"  connect URL: {settings.bolt_uri}   user: {user}   password: {password}")
    console.print("Lookups to try:")
    for kind, value, result in examples:
        console.print(
            f"  curl {header} '{api}/v1/lookup?kind={kind}&value={value}'"
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
    if summary.bad:
        console.print(f"[yellow]{summary.bad} sample record(s) were skipped[/]")
    if serve_api:
        import uvicorn

        console.print("serving the API (Ctrl-C stops it; `idgraph neo4j stop` stops Neo4j)")
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,  # app.api.observability logs requests without query strings
        )
