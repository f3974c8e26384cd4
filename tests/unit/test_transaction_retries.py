"""Which failures inside a managed transaction reach the driver as retryable."""

from __future__ import annotations

from typing import Any

import pytest
from neo4j.exceptions import ClientError, ResultFailedError, SessionExpired, TransientError

from app.store.graph_store import _counting_retries


def failing_with(cause: BaseException) -> Any:
    """A transaction function whose result failed earlier in its transaction: the driver
    raises ResultFailedError from the failure it saw."""

    def work(tx: Any) -> None:
        raise ResultFailedError(None, "the result has failed") from cause

    return _counting_retries(work)


@pytest.mark.parametrize(
    "cause",
    [
        SessionExpired("connection lost"),
        TransientError._hydrate_neo4j(
            code="Neo.TransientError.Transaction.DeadlockDetected", message="deadlock"
        ),
    ],
)
def test_a_transient_cause_is_raised_for_the_driver_to_retry(cause: Exception) -> None:
    with pytest.raises(type(cause)) as raised:
        failing_with(cause)(None)
    assert raised.value is cause
    assert cause.is_retryable()  # type: ignore[attr-defined]


def test_a_permanent_cause_stays_a_result_failure() -> None:
    cause = ClientError._hydrate_neo4j(
        code="Neo.ClientError.Statement.SyntaxError", message="bad query"
    )
    with pytest.raises(ResultFailedError) as raised:
        failing_with(cause)(None)
    assert raised.value.__cause__ is cause
