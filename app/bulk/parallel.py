"""Pure work of a bulk load spread over the machine's cores, results in input order.

The bulk computation holds the whole data set in one process; a task (scoring a chunk of
records against their candidates) reads it and returns a small result. Worker processes
are forked, so they read the parent's data without copying or pickling it; only the
tasks' arguments and results cross between processes. Results come back in the order of
the inputs, so merging them gives exactly what a loop in one process gives.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

#: The task of the running :func:`fork_map`, inherited by its forked workers.
_task: Callable[[Any], Any] | None = None


def default_workers() -> int:
    """Worker processes for the bulk computation: one per core available to us."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def _run(item: Any) -> Any:
    assert _task is not None, "fork_map sets the task before forking"
    return _task(item)


def fork_map(
    task: Callable[[Item], Result],
    items: Iterable[Item],
    workers: int,
    first_here: bool = False,
) -> Iterator[Result]:
    """``map(task, items)`` over ``workers`` processes, in input order.

    With one worker (or where processes cannot be forked) it is ``map`` in this process.
    ``first_here``: this process maps the first item while ``workers - 1`` forked ones map
    the others (when its result is costly to send back). The garbage collector's objects
    are frozen while the workers run, so that its passes in a worker do not touch (and so
    copy) the parent's pages.
    """
    global _task
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(task, items)
        return
    if _task is not None:
        raise RuntimeError("fork_map does not nest")
    items = list(items)
    here, there = (items[:1], items[1:]) if first_here else ([], items)
    _task = task
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers - len(here)) as pool:
            results = pool.imap(_run, there)  # the workers start on them now
            yield from map(task, here)
            yield from results
    finally:
        gc.unfreeze()
        _task = None
