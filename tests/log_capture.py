"""Every line the service logs during a test, formatted as the service formats it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.api.observability import JsonFormatter


class LogLines(logging.Handler):
    """Collects the formatted lines of every logger but the test client's."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.stream = io.StringIO()
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        # httpx is the test client, not the service: its lines name the URL it requested.
        if not record.name.startswith(("httpx", "httpcore")):
            self.stream.write(self.format(record) + "\n")

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def entries(self, logger: str) -> list[dict[str, Any]]:
        """The parsed lines of one logger (``idgraph.access``, ``idgraph.errors``)."""
        parsed = [json.loads(line) for line in self.lines()]
        return [entry for entry in parsed if entry["logger"] == logger]


@contextmanager
def capture_log_lines() -> Iterator[LogLines]:
    """Attach a :class:`LogLines` to the root logger (INFO and up) for the block."""
    handler = LogLines()
    root = logging.getLogger()
    previous = root.level
    root.setLevel(min(previous, logging.INFO) if previous else logging.INFO)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
