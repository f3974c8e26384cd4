"""The consent combination rule: latest statement wins, withdrawals win ties, defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.privacy.consent.rules import derive, latest, stated
from graph_models.consent import (
    ConsentBasis,
    ConsentStatement,
    StoredStatement,
    statement_problems,
)

T0 = datetime(2026, 11, 1, 10, tzinfo=UTC)
PURPOSES = ["marketing", "analytics", "personalisation"]


def said(purpose: str, granted: bool, minutes: int, record: str = "r1") -> StoredStatement:
    return StoredStatement(
        purpose=purpose,
        granted=granted,
        at=T0 + timedelta(minutes=minutes),
        source="crm",
        record_id=record,
    )


def test_latest_statement_wins() -> None:
    result = derive([said("marketing", True, 0), said("marketing", False, 5)], PURPOSES)
    assert result[0].purpose == "marketing"
    assert result[0].granted is False
    assert result[0].basis == ConsentBasis.STATEMENT
    assert result[0].statement is not None and result[0].statement.at == T0 + timedelta(minutes=5)
    later_grant = derive([said("marketing", False, 0), said("marketing", True, 5)], PURPOSES)
    assert later_grant[0].granted is True


def test_withdrawal_wins_a_tie() -> None:
    tie = [said("marketing", True, 0, "a"), said("marketing", False, 0, "b")]
    assert derive(tie, PURPOSES)[0].granted is False
    assert derive(list(reversed(tie)), PURPOSES)[0].granted is False


def test_no_statement_is_the_configured_default() -> None:
    result = {c.purpose: c for c in derive([], PURPOSES, {"analytics"})}
    assert result["marketing"].granted is False
    assert result["analytics"].granted is True
    assert all(c.basis == ConsentBasis.DEFAULT and c.statement is None for c in result.values())


def test_purposes_are_independent() -> None:
    result = {c.purpose: c.granted for c in derive([said("analytics", True, 0)], PURPOSES)}
    assert result == {"marketing": False, "analytics": True, "personalisation": False}


def test_a_merge_never_revives_an_older_grant() -> None:
    # customer A withdrew at 10:05; customer B granted at 10:00; merged: withdrawn
    a = [said("marketing", True, -60, "a1"), said("marketing", False, 5, "a2")]
    b = [said("marketing", True, 0, "b1")]
    assert stated(a) == {"marketing": False}
    assert stated(b) == {"marketing": True}
    assert stated(a + b) == {"marketing": False}


def test_a_split_rederives_each_part_from_its_own_records() -> None:
    a = [said("marketing", True, 0, "a1")]
    b = [said("marketing", False, 5, "b1")]
    assert stated(a + b) == {"marketing": False}
    assert stated(a) == {"marketing": True}  # the part without the withdrawal
    assert stated(b) == {"marketing": False}


statements = st.lists(
    st.builds(
        said,
        st.sampled_from(PURPOSES),
        st.booleans(),
        st.integers(min_value=-100, max_value=100),
        st.sampled_from(["a", "b", "c"]),
    ),
    max_size=12,
)


@given(statements, st.randoms())
def test_order_independent(items: list[StoredStatement], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert latest(items) == latest(shuffled)


@given(statements, statements)
def test_merging_keeps_every_withdrawal_not_overridden_by_a_later_grant(
    a: list[StoredStatement], b: list[StoredStatement]
) -> None:
    merged = stated(a + b)
    for purpose in PURPOSES:
        withdrawals = [s.at for s in a + b if s.purpose == purpose and not s.granted]
        grants = [s.at for s in a + b if s.purpose == purpose and s.granted]
        if withdrawals and (not grants or max(grants) <= max(withdrawals)):
            assert merged[purpose] is False
        if grants and (not withdrawals or max(grants) > max(withdrawals)):
            assert merged[purpose] is True


def test_statement_problems_name_the_field() -> None:
    now = T0
    problems = statement_problems(
        [
            ConsentStatement(purpose="marketing", granted=True),
            ConsentStatement(purpose="sms", granted=False),
            ConsentStatement(purpose="marketing", granted=False),
            ConsentStatement(purpose="analytics", granted=True, at=now + timedelta(hours=2)),
        ],
        now,
        PURPOSES,
        now,
    )
    paths = [path for path, _ in problems]
    assert paths == [("consent", 1, "purpose"), ("consent", 2, "purpose"), ("consent", 3, "at")]
