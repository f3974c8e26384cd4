"""Python's cyclic garbage collector around big units of work (a batch, a bulk load).

CPython runs a full (oldest-generation) collection whenever the objects promoted since
the last one reach a quarter of the long-lived ones. A batch of 1000 records builds a
working set of a few hundred thousand objects (records, the scope's identifiers and
links, match profiles) next to the process's long-lived caches, so full passes came
several times per batch, each walking every object of the process, and all of it inside
the batch's transaction, where the other writers wait for its customer locks. What the
batch builds holds no reference cycles worth finding early: reference counting frees it
when the batch ends. Pausing the full passes while a batch runs moves that work to after
it (one full pass at most, when the automatic rule asks for it again); the young
generations are collected as usual throughout.

The bulk load pauses them over its read, compute and write phases for the same reason at
a larger scale: tens of millions of long-lived objects (records, identifier statistics,
links, blocks, adjacency), whose full passes took about a third of the compute phase at a
million records; it runs one full collection after them.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: A count of middle-generation passes no load reaches (the threshold of a full pass).
NEVER = 2**31 - 1

_lock = threading.Lock()
_holders = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def full_collections_paused() -> Iterator[None]:
    """No full collection while the block runs; the thresholds come back when the last of
    the (possibly concurrent, e.g. two batches in one API worker's thread pool) blocks
    ends. Re-entrant and thread-safe; the young generations are collected as usual."""
    global _holders, _saved
    with _lock:
        if _holders == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1], NEVER)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
