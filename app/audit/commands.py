"""Auditing CLI commands: ``@audited_command("load")`` under ``@app.command()``.

The command runs as it would; when it ends (returned, exited, failed) one entry is written
with the OS user as actor (``cli:<user>``, or ``cli`` when there is none), what the command
noted (:func:`app.audit.recording.note`), the outcome and the exit code: ``ok`` for exit
code 0, the error type of an :class:`IdgraphError` that escaped, ``failure`` otherwise.
The entry goes through a connection of its own, opened after the command (which may have
restarted the server, as backup and restore do). If it cannot be written, a warning goes to
stderr and the command's own exit code stands: its data is stored by then.
"""

from __future__ import annotations

import functools
import getpass
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

from app.audit.recording import Pending, pending
from app.audit.service import AuditService, make_entry
from app.core.config import get_settings
from app.core.errors import IdgraphError
from graph_models.audit import FAILURE, OK, Channel, outcome_of_status

F = TypeVar("F", bound=Callable[..., Any])


def cli_actor() -> str:
    """``cli:<OS user>``, or ``cli`` where the user cannot be told."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry, no LOGNAME/USER
        return "cli"


def outcome_of_exit(exc: BaseException | None) -> tuple[str, int]:
    """The outcome and exit code of a command that ended with ``exc`` (None: returned)."""
    if exc is None:
        return OK, 0
    if isinstance(exc, IdgraphError):
        return outcome_of_status(exc.status_code), 1
    code = getattr(exc, "exit_code", getattr(exc, "code", 1))  # click's Exit, SystemExit
    code = code if isinstance(code, int) else 1
    return (OK if code == 0 else FAILURE), code


def audited_command(action: str) -> Callable[[F], F]:
    """Audit every run of the decorated command as ``action`` (typer reads the wrapped
    function's signature, so options and arguments are unchanged)."""

    def wrap(command: F) -> F:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            with pending() as entry:
                try:
                    result = command(*args, **kwargs)
                except BaseException as exc:
                    _write(action, entry, *outcome_of_exit(exc), started)
                    raise
                _write(action, entry, OK, 0, started)
                return result

        return run  # type: ignore[return-value]

    return wrap


def _write(action: str, entry: Pending, outcome: str, code: int, started: float) -> None:
    from app.bootstrap import connect
    from app.store.audit import Neo4jAuditStore
    from app.store.graph_store import GraphStore

    record = make_entry(
        channel=Channel.CLI,
        actor=cli_actor(),
        action=action,
        targets=entry.targets,
        counts=entry.counts,
        outcome=outcome,
        status=code,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )
    settings = get_settings()
    try:
        driver = connect(settings)
        try:
            AuditService(Neo4jAuditStore(GraphStore(driver, settings.neo4j_database))).record(
                record
            )
        finally:
            driver.close()
    except Exception as exc:  # the command's own outcome stands
        reason = exc.message if isinstance(exc, IdgraphError) else type(exc).__name__
        sys.stderr.write(f"warning: the audit entry for {action} was not written ({reason})\n")
