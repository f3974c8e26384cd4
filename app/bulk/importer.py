"""``neo4j-admin database import full`` on the local server, stopped around it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from app.bulk.import_files import ARRAY_DELIMITER_OPTION, ImportFile
from app.core.errors import IdgraphError
from app.provision.neo4j_server import LocalNeo4j


class BulkLoadError(IdgraphError):
    """A bulk load could not run (or stopped); the message says why and what to do."""

    status_code = 409


@contextlib.contextmanager
def stopped(server: LocalNeo4j, say: Callable[[str], None]) -> Iterator[None]:
    """The server stopped for the block and started after it, also on failure (as
    :class:`app.backup.local.LocalBackup` does; here it is started even if it was not
    running, because the schema is applied next)."""
    pid = server.pid()
    if pid is not None:
        say(f"stopping Neo4j (pid {pid}); clients lose their connections until it is back")
        server.stop()
    try:
        yield
    finally:
        say("starting Neo4j…")
        server.start()


def import_full(
    server: LocalNeo4j, database: str, files: Sequence[ImportFile], report: Path
) -> None:
    """Replace ``database`` with the graph in ``files`` (the server must be stopped).

    ``--overwrite-destination`` replaces whatever the database held, so an interrupted
    import is simply run again. Only the files with a value holding a line break are
    parsed as multi-line (the importer's slow path, for every file when it is on).

    Raises:
        BulkLoadError: ``neo4j-admin`` failed; its output's tail says why.
    """
    multiline = [str(f.path) for f in files if f.multiline]
    proc = server.admin(
        "database",
        "import",
        "full",
        database,  # before the file options: each takes every argument up to the next option
        "--overwrite-destination=true",
        f"--array-delimiter={ARRAY_DELIMITER_OPTION}",
        *(
            ("--multiline-fields-format=v2", f"--multiline-fields={','.join(multiline)}")
            if multiline
            else ()
        ),
        f"--report-file={report}",
        *(f.option() for f in files),
    )
    if proc.returncode != 0:
        output = (proc.stderr or proc.stdout).strip()[-2000:]
        raise BulkLoadError(f"neo4j-admin could not import database {database}:\n{output}")
