"""Peak memory of a process tree, sampled from ``/proc`` (Linux).

``resource.getrusage`` gives the peak of this process and the largest peak of any child
it waited for, not what several processes held at once: the bulk load runs forked
workers next to its own process, and ``neo4j-admin`` after them. :class:`TreePeak`
samples the proportional set size (PSS: a page shared by the parent and its forked
workers counted once) of this process and its descendants every half second and keeps
the largest sum, per group of processes (the Neo4j server, a child too, is apart).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from app.provision.neo4j_server import ADMIN_TOOL, ENTRY_POINT

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: fields follow the last ")"
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(stat.parent.name))
    return children


def _pss(pid: int) -> int:
    """Proportional set size: resident bytes, a page shared by n processes counted 1/n
    in each (forked workers share the parent's pages until they write them)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def group_of(pid: int) -> str:
    """``neo4j-server``, ``neo4j-admin`` or ``loader`` (this process and its workers)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "loader"
    if ENTRY_POINT.encode() in cmdline:
        return "neo4j-server"
    if ADMIN_TOOL.encode() in cmdline:
        return "neo4j-admin"
    return "loader"


def tree_memory(root: int, group: Callable[[int], str] = group_of) -> dict[str, int]:
    """Proportional resident bytes of ``root`` and its descendants, summed per group."""
    children = _children()
    totals: dict[str, int] = {}
    pending = [root]
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, ()))
        name = group(pid)
        totals[name] = totals.get(name, 0) + _pss(pid)
    return totals


class TreePeak:
    """The largest sampled sum of resident memory per group, while the block runs."""

    def __init__(self, interval: float = 0.5, root: int | None = None) -> None:
        self.interval = interval
        self.root = root or os.getpid()
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            for name, used in tree_memory(self.root).items():
                self.peak[name] = max(self.peak.get(name, 0), used)
            if self._stop.wait(self.interval):
                return

    def peak_mib(self, group: str) -> float | None:
        return self.peak[group] / 2**20 if group in self.peak else None

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
