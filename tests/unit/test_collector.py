"""Full garbage collections paused around big units of work (app.core.collector)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.core.collector import NEVER, full_collections_paused
from app.core.config import Settings
from app.engine.core import Engine
from app.ingest.service import IngestService
from app.privacy.suppression import Suppression
from graph_models.records import SourceRecord


@pytest.fixture(autouse=True)
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_only_the_full_passes_pause_and_the_thresholds_come_back() -> None:
    with full_collections_paused():
        assert gc.get_threshold() == (700, 10, NEVER)
        with full_collections_paused():
            assert gc.get_threshold() == (700, 10, NEVER)
        assert gc.get_threshold() == (700, 10, NEVER), "the outer block still runs"
    assert gc.get_threshold() == (700, 10, 10)


def test_an_error_in_the_block_restores_the_thresholds() -> None:
    with pytest.raises(RuntimeError), full_collections_paused():
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_blocks_in_threads_restore_when_the_last_one_ends() -> None:
    """Two batches in one worker's thread pool: the first to end must not switch the full
    passes back on under the second, and the last one must."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, tuple[int, int, int]] = {}

    def first() -> None:
        with full_collections_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with full_collections_paused():
            second_in.set()
            first_out.wait(5)
            seen["after the first ended"] = gc.get_threshold()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen["after the first ended"] == (700, 10, NEVER)
    assert gc.get_threshold() == (700, 10, 10)


class _Store:
    """Records the collector's thresholds the transaction ran under."""

    def __init__(self) -> None:
        self.during: tuple[int, int, int] | None = None

    def in_write_transaction(self, work: Callable[[Any], Any]) -> list[Any]:
        self.during = gc.get_threshold()
        return []

    def in_read_transaction(self, work: Callable[[Any], Any]) -> Any:
        raise AssertionError("not used")


def test_a_batch_resolves_with_full_collections_paused() -> None:
    settings = Settings()
    store = _Store()
    service = IngestService(store, Engine(settings), Suppression(settings))  # type: ignore[arg-type]
    record = SourceRecord.model_validate(
        {
            "source": "crm",
            "record_id": "1",
            "observed_at": "2026-11-01T12:00:00Z",
            "identifiers": [{"kind": "email", "value": "a@example.com"}],
        }
    )
    assert service.ingest([record]) == []
    assert store.during == (700, 10, NEVER)
    assert gc.get_threshold() == (700, 10, 10)
