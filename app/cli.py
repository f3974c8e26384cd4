"""The ``idgraph`` command line: local Neo4j, the API server, ingestion, re-clustering, demo."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from app.audit.commands import audited_command
from app.audit.recording import note
from app.core.config import Settings, get_settings
from app.core.errors import IdgraphError
from app.provision.neo4j_server import LocalNeo4j

if TYPE_CHECKING:
    from app.backup.local import BackupResult, LocalBackup
    from app.bootstrap import Opened
    from app.loading.mapping import RecordMapping
    from app.model_lifecycle.service import ModelLifecycle

app = typer.Typer(help="idgraph: customer identity resolution on Neo4j.", no_args_is_help=True)
neo4j_app = typer.Typer(help="The local Neo4j server (not used when NEO4J_URI is set).")
app.add_typer(neo4j_app, name="neo4j")
model_app = typer.Typer(help="The match model that scores look-alike records.")
app.add_typer(model_app, name="model")
retention_app = typer.Typer(help="Retention: remove what the rules say has expired.")
app.add_typer(retention_app, name="retention")
consent_app = typer.Typer(help="Consent per purpose: record statements, show a customer's.")
app.add_typer(consent_app, name="consent")
console = Console()


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


def _local(settings: Settings) -> LocalNeo4j:
    if settings.external_neo4j:
        raise _fail(f"NEO4J_URI is set ({settings.neo4j_uri}); idgraph provisions nothing.")
    return LocalNeo4j(settings)


def _print_status(server: LocalNeo4j) -> None:
    status = server.status()
    console.print(f"running:        {'yes' if status.running else 'no'}")
    console.print(f"pid:            {status.pid or '-'}")
    console.print(f"Bolt URI:       {status.bolt_uri}")
    console.print(f"Browser URL:    {status.browser_url}")
    console.print(f"data directory: {status.data_dir}")
    console.print(f"password file:  {status.password_file} (user neo4j)")


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Install (first time) and start the local Neo4j; returns once Bolt answers."""
    server = _local(get_settings())
    try:
        with console.status("Starting Neo4j (the first run downloads it from Maven Central)…"):
            server.start()
    except IdgraphError as exc:
        raise _fail(exc.message) from None
    _print_status(server)


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j (the graph stays in the data directory)."""
    server = _local(get_settings())
    console.print("stopped" if server.stop() else "not running")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Print the Bolt URI, Browser URL, pid and data directory."""
    _print_status(_local(get_settings()))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (IDGRAPH_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (IDGRAPH_PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (IDGRAPH_WORKERS).", min=1)
    ] = None,
) -> None:
    """Run the API with uvicorn (127.0.0.1:8000 by default)."""
    import uvicorn

    settings = get_settings()
    n_workers = workers or settings.workers
    if n_workers > 1 or os.environ.get(MULTIPROC_ENV):
        _prepare_metrics_dir()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=n_workers,
        log_level="info",
        access_log=False,  # app.api.observability logs requests without their query strings
    )


MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _prepare_metrics_dir() -> None:
    """Multiprocess mode for /metrics: the workers (spawned after this) inherit
    PROMETHEUS_MULTIPROC_DIR and write their values there; a scrape of any worker sums
    them. A directory the user set is emptied first (values of an earlier run must not
    count); else a temporary one is made, and removed when this process exits."""
    import atexit
    import shutil
    import tempfile

    # Not imported from app.core.metrics: this process must not load prometheus_client
    # before the variable is set (it picks its value store at import).
    path = os.environ.get(MULTIPROC_ENV)
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        for stale in Path(path).glob("*.db"):
            stale.unlink()
    else:
        created = tempfile.mkdtemp(prefix="idgraph-metrics-")
        os.environ[MULTIPROC_ENV] = created
        atexit.register(shutil.rmtree, created, ignore_errors=True)


def _opened(settings: Settings) -> Opened:
    """The driver, store and services for one command (``with``: the driver closes)."""
    from app.bootstrap import Opened

    try:
        return Opened.connect(settings)
    except IdgraphError as exc:
        raise _fail(exc.message) from None


MappingOption = Annotated[
    Path | None,
    typer.Option(
        exists=True,
        dir_okay=False,
        help="YAML mapping of columns to source, record_id, observed_at, identifiers and "
        "attributes (README: Loading files). Without it, files must be JSONL records.",
    ),
]
BatchOption = Annotated[int, typer.Option(min=1, help="Records per transaction.")]
ErrorsOption = Annotated[
    Path | None,
    typer.Option(
        "--errors",
        dir_okay=False,
        help="Write every bad row (file, line or row, field, why; no values) to this JSONL file.",
    ),
]


def _load(
    files: list[Path],
    mapping: Path | None,
    batch_size: int,
    errors: Path | None,
    bulk: BulkOptions | None = None,
) -> None:
    """Load files through the live ingest path; exit 1 if a row was bad or the load
    stopped (the batches before it are stored), 2 if nothing could be loaded (a mapping or
    file problem found before the first batch)."""
    from neo4j.exceptions import DriverError, Neo4jError
    from rich.markup import escape

    from app.loading.console import load_files, print_summary
    from app.loading.mapping import MappingError, load_mapping
    from app.loading.readers import UnreadableFileError

    try:
        record_mapping = load_mapping(mapping) if mapping is not None else None
    except IdgraphError as exc:
        console.print(f"[bold red]error:[/] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    if bulk is not None:
        _bulk_load(files, record_mapping, errors, bulk)
        return
    with _opened(get_settings()) as opened:
        try:
            summary = load_files(
                console, opened.services.ingestion, files, record_mapping, batch_size, errors
            )
        except (MappingError, UnreadableFileError) as exc:  # found before the first batch
            message = f"[bold red]error:[/] {escape(exc.message)}; nothing was loaded"
            console.print(message, soft_wrap=True)
            raise typer.Exit(code=2) from None
        except (IdgraphError, Neo4jError, DriverError) as exc:
            # the class only: a message may quote the batch's values
            cause = exc.message if isinstance(exc, IdgraphError) else type(exc).__name__
            raise _fail(
                f"the load stopped ({cause}); every batch before it is stored: run the "
                "same command again (stored records are not counted twice)"
            ) from None
    note(files=len(files), records=summary.stored, bad_rows=summary.bad)
    print_summary(console, summary, errors)
    if not summary.ok:
        raise typer.Exit(code=1)


@dataclass(frozen=True)
class BulkOptions:
    replace: bool
    work_dir: Path | None


def _bulk_load(
    files: list[Path], mapping: RecordMapping | None, errors: Path | None, options: BulkOptions
) -> None:
    """``idgraph load --bulk``: exit 1 if a row was bad (the good ones are loaded), 2 if
    nothing was loaded (the graph is not empty, a file or the mapping is wrong, the import
    failed)."""
    from rich.markup import escape

    from app.bulk.console import bulk_load_files, print_bulk_report, print_summary

    try:
        summary, report = bulk_load_files(
            console, get_settings(), files, mapping, errors, options.replace, options.work_dir
        )
    except IdgraphError as exc:
        console.print(f"[bold red]error:[/] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    print_summary(console, summary, errors)
    print_bulk_report(console, report)
    if not summary.ok:
        raise typer.Exit(code=1)


@app.command()
@audited_command("load")
def load(
    files: Annotated[
        list[Path],
        typer.Argument(
            exists=True, dir_okay=False, help="JSONL, CSV (.csv, .tsv) or Parquet files."
        ),
    ],
    mapping: MappingOption = None,
    batch_size: BatchOption = 1000,
    errors: ErrorsOption = None,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="Load an empty graph at importer speed: computed in memory, written with "
            "neo4j-admin import (the local server is stopped and started around it).",
        ),
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="With --bulk: replace a graph that is not empty.")
    ] = False,
    work_dir: Annotated[
        Path | None,
        typer.Option(
            file_okay=False, help="With --bulk: where the import files go (<state dir>/bulk)."
        ),
    ] = None,
) -> None:
    """Load JSONL, CSV and Parquet files, mapped to records by --mapping.

    Records go through the live ingest path (the service POST /v1/records uses), one
    transaction per batch. In bulk mode (--bulk) an empty graph is computed in memory with the
    same engine and written with neo4j-admin import (README: Bulk load). Bad rows are reported
    with file, line and field and left out, the good ones are stored; exit code 1 if any
    row was bad, 2 if the mapping or a file is wrong (nothing loaded). Records are keyed
    by source and record id, so running the same load again changes nothing.
    """
    _load(files, mapping, batch_size, errors, BulkOptions(replace, work_dir) if bulk else None)


@app.command()
@audited_command("ingest")
def ingest(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="JSONL (or CSV, Parquet) file.")
    ],
    mapping: MappingOption = None,
    batch_size: BatchOption = 1000,
    errors: ErrorsOption = None,
) -> None:
    """Load one file through the live path. Idempotent: an interrupted load can be run again.

    The same as `idgraph load` with one file: JSONL records, or any file with --mapping.
    """
    _load([file], mapping, batch_size, errors)


@app.command()
@audited_command("recluster")
def recluster(
    dry_run: Annotated[bool, typer.Option(help="Report differences, change nothing.")] = False,
) -> None:
    """Re-cluster the whole graph from scratch and repair any customer that differs."""
    with _opened(get_settings()) as opened, console.status("re-clustering…") as status:
        report = opened.services.reclustering.recluster(dry_run=dry_run, progress=status.update)
    note(dry_run=int(dry_run), **report.__dict__)
    console.print_json(json.dumps(report.__dict__))


@retention_app.command("apply")
def retention_apply(
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print what would go (counts, records); change nothing."),
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1, max=10_000, help="Expired items per transaction (IDGRAPH_RETENTION_BATCH_SIZE)."
        ),
    ] = None,
    max_batches: Annotated[
        int | None,
        typer.Option(min=1, help="Stop after this many transactions; run again to go on."),
    ] = None,
) -> None:
    """Remove expired records and identifiers (IDGRAPH_RETENTION_RULES) the way erasure does."""
    from app.privacy.retention.console import apply_with_progress, print_report

    with _opened(get_settings()) as opened:
        service = opened.services.retention
        if not service.rules:
            raise _fail('no retention rules: set IDGRAPH_RETENTION_RULES (README, "Retention")')
        if batch_size is not None:
            service.batch_size = batch_size
        report = apply_with_progress(console, service, dry_run, max_batches)
    print_report(console, report)


@app.command("export")
def export_customer(
    customer_id: Annotated[str, typer.Argument(help="The customer id (C-...).")],
    output: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Write the JSON here (mode 0600), not to stdout."),
    ] = None,
) -> None:
    """Everything stored about a person, as one JSON document (data-subject access)."""
    with _opened(get_settings()) as opened:
        try:
            document = opened.services.exports.export(customer_id).model_dump_json(indent=2)
        except IdgraphError as exc:
            raise _fail(exc.message) from None
    if output is None:
        typer.echo(document)
        return
    output.touch(mode=0o600, exist_ok=True)
    output.chmod(0o600)
    output.write_text(document + "\n")
    console.print(f"wrote the export of {customer_id} to {output}")


def _print_model(model: Any, pairs: int | None = None) -> None:
    from rich.table import Table

    title = f"match model {model.version} ({model.method}), prior {model.prior:.4g}"
    if pairs is not None:
        title += f", fitted on {pairs} candidate pairs"
    table = Table(title=title)
    for column in ("field", "level", "m", "u", "bayes factor"):
        table.add_column(column, justify="left" if column in ("field", "level") else "right")
    for row in model.describe():
        table.add_row(
            str(row["field"]),
            str(row["label"]),
            f"{row['m']:.4f}",
            f"{row['u']:.4f}",
            f"{row['bayes_factor']:.3g}",
        )
    console.print(table)


@model_app.command("fit")
@audited_command("model fit")
def model_fit(
    labels: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="JSON {record key: person id}: count m/u from labelled pairs instead of EM.",
        ),
    ] = None,
    rematch_after: Annotated[
        bool, typer.Option("--rematch/--no-rematch", help="Re-score stored evidence after.")
    ] = True,
) -> None:
    """Estimate m/u probabilities from the records in the graph (EM) and make them active."""
    with _opened(get_settings()) as opened:
        models = opened.services.models
        truth: dict[str, str] | None = None
        if labels is not None:
            try:
                truth = {str(k): str(v) for k, v in json.loads(labels.read_text()).items()}
            except (ValueError, AttributeError) as exc:
                raise _fail(
                    f"{labels}: not a JSON object of record key -> person id ({exc})"
                ) from None
        known = truth or {}

        def same(a: str, b: str) -> bool:
            return a in known and known.get(a) == known.get(b)

        with console.status("fitting the match model…"):
            try:
                model, pairs = models.fit(labels=same if truth is not None else None)
            except IdgraphError as exc:
                raise _fail(exc.message) from None
        note(f"model:{model.version}", pairs=pairs)
        _print_model(model, pairs)
        if rematch_after:
            _rematch(models)


@model_app.command("show")
def model_show(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the parameters as JSON (for `model load`).")
    ] = False,
) -> None:
    """Print the active match model (stored, or the built-in default)."""
    with _opened(get_settings()) as opened:
        model = opened.services.models.current()
    if as_json:
        console.print_json(model.to_json())
    else:
        _print_model(model)


@model_app.command("load")
@audited_command("model load")
def model_load(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="JSON from `model show --json`.")
    ],
    rematch_after: Annotated[
        bool, typer.Option("--rematch/--no-rematch", help="Re-score stored evidence after.")
    ] = True,
) -> None:
    """Set the match model by hand: m/u, prior and comparisons from a JSON file."""
    from app.engine.matching import MatchModel, manual_model

    try:
        model = manual_model(MatchModel.from_json(file.read_text(encoding="utf-8")))
    except IdgraphError as exc:
        raise _fail(f"{file}: {exc.message}; start from `idgraph model show --json`") from None
    with _opened(get_settings()) as opened:
        models = opened.services.models
        models.set(model)
        note(f"model:{model.version}")
        _print_model(model)
        if rematch_after:
            _rematch(models)


def _rematch(models: ModelLifecycle) -> None:
    total = models.records_to_rematch()
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("re-match records", total=total)
        done, changes = models.rematch(progress=lambda n: progress.update(task, completed=n))
    note(records=done, changes=len(changes))
    console.print(f"re-matched {done} records; {len(changes)} customer change(s)")


@app.command()
@audited_command("rematch")
def rematch() -> None:
    """Re-score all similarity evidence with the active match model (after changing it)."""
    with _opened(get_settings()) as opened:
        _rematch(opened.services.models)


def _local_backup(settings: Settings) -> LocalBackup:
    from app.backup.local import LocalBackup

    if settings.external_neo4j:
        raise _fail(
            f"NEO4J_URI is set ({settings.neo4j_uri}): back up an external Neo4j with its own "
            'tools (README, "Backup and restore"); idgraph backs up only its local server.'
        )
    return LocalBackup(LocalNeo4j(settings), settings.neo4j_database, say=console.print)


def _print_backup(done: str, result: BackupResult) -> None:
    again = "; Neo4j is running again" if result.restarted else ""
    console.print(f"{done} {result.file} ({result.size / 1e6:.1f} MB){again}")


@app.command()
@audited_command("backup")
def backup(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="The dump file to write.")],
) -> None:
    """Dump the local Neo4j's database to FILE (neo4j-admin; the server stops meanwhile)."""
    try:
        result = _local_backup(get_settings()).backup(file)
    except IdgraphError as exc:
        raise _fail(exc.message) from None
    _print_backup(f"backed up database {result.database} to", result)


@app.command()
@audited_command("restore")
def restore(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A dump from `idgraph backup`.")
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the local Neo4j's database with the dump in FILE (the server stops meanwhile)."""
    settings = get_settings()
    local = _local_backup(settings)
    if not yes:
        typer.confirm(
            f"This replaces the whole graph in database {settings.neo4j_database} of the local "
            f"Neo4j ({settings.state_dir}) with {file}. Continue?",
            abort=True,
        )
    try:
        result = local.restore(file)
    except IdgraphError as exc:
        raise _fail(exc.message) from None
    _print_backup(f"restored database {result.database} from", result)


@app.command("audit")
def audit_log(
    action: Annotated[str | None, typer.Option(help="e.g. erase_customer, load.")] = None,
    actor: Annotated[str | None, typer.Option(help="e.g. 'admin key sha256=1a2b3c4d'.")] = None,
    outcome: Annotated[str | None, typer.Option(help="ok, invalid_input, failure...")] = None,
    target: Annotated[str | None, typer.Option(help="e.g. customer:C-7f3a9c1e2b4d5f60.")] = None,
    since: Annotated[str | None, typer.Option(help="ISO time (inclusive).")] = None,
    until: Annotated[str | None, typer.Option(help="ISO time (exclusive).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    cursor: Annotated[str | None, typer.Option(help="`next` of an earlier page.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per entry.")] = False,
) -> None:
    """The audit log, newest first: who did what, when, and how it ended."""
    from app.audit.console import audit_filter, print_audit

    try:
        filters = audit_filter(action, actor, outcome, target, since, until)
        with _opened(get_settings()) as opened:
            page = opened.services.audit.page(filters, cursor, limit)
    except IdgraphError as exc:
        raise _fail(exc.message) from None
    print_audit(console, page, as_json)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Where to write the records (JSONL).")],
    people: Annotated[int, typer.Option(min=1)] = 2000,
    seed: Annotated[int, typer.Option()] = 7,
    truth: Annotated[Path | None, typer.Option(help="Where to write the ground truth.")] = None,
) -> None:
    """Write synthetic records with ground truth (cookies, households, CRM, call centre)."""
    from app.sampledata.generator import generate as make
    from app.sampledata.generator import write_jsonl, write_truth

    data = make(people, seed=seed)
    write_jsonl(data.records, out)
    if truth is not None:
        write_truth(data, truth)
    console.print(f"wrote {len(data.records)} records for {people} people to {out}")


@app.command()
def demo(
    people: Annotated[int, typer.Option(min=1, help="Synthetic people to load.")] = 2000,
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """Start Neo4j, apply the schema, load sample data, then serve the API."""
    from app.demo import run_demo

    try:
        run_demo(console, get_settings(), people=people, serve_api=serve_api)
    except IdgraphError as exc:
        raise _fail(exc.message) from None


def _input_problem(exc: IdgraphError) -> typer.Exit:
    """A clear message for a refused input: each bad field by name."""
    from app.core.errors import InvalidInputError

    if isinstance(exc, InvalidInputError) and exc.errors:
        fields = "; ".join(
            f"--{'-'.join(str(p) for p in e.field).replace('_', '-')}: {e.msg}" for e in exc.errors
        )
        return _fail(fields)
    return _fail(exc.message)


@consent_app.command("record")
def consent_record(
    kind: Annotated[str, typer.Option(help="Identifier kind, e.g. email.")],
    value: Annotated[str, typer.Option(help="Identifier value.")],
    purpose: Annotated[str, typer.Option(help="A configured purpose, e.g. marketing.")],
    granted: Annotated[
        bool, typer.Option("--granted/--withdrawn", help="Grant or withdraw consent.")
    ],
    at: Annotated[
        str | None, typer.Option(help="When the person said it (ISO 8601; default: now).")
    ] = None,
    statement_id: Annotated[
        str | None, typer.Option(help="Makes a retry idempotent (default: from the content).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Scope of an account value.")] = None,
) -> None:
    """Record a statement for an identifier (what POST /v1/consent does); prints the receipt."""
    from pydantic import ValidationError

    from graph_models.consent import ConsentRequest

    try:
        request = ConsentRequest(
            kind=kind,
            value=value,
            purpose=purpose,
            granted=granted,
            at=at,  # type: ignore[arg-type]  # pydantic parses the ISO string
            statement_id=statement_id,
            source=source,
        )
    except ValidationError as exc:
        raise _fail(
            "; ".join(f"--{'-'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from None
    with _opened(get_settings()) as opened:
        try:
            receipt = opened.services.consent.record(request)
        except IdgraphError as exc:
            raise _input_problem(exc) from None
    console.print_json(receipt.model_dump_json())


@consent_app.command("show")
def consent_show(customer_id: Annotated[str, typer.Argument(help="A customer id.")]) -> None:
    """A customer's consent per purpose and every statement behind it, as JSON."""
    with _opened(get_settings()) as opened:
        try:
            consent = opened.services.consent.of_customer(customer_id)
        except IdgraphError as exc:
            raise _fail(exc.message) from None
    console.print_json(consent.model_dump_json())


def main() -> None:
    app()
