"""Retention rules: periods, calendar arithmetic and clear errors naming rule and field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.privacy.retention.rules import Period, RetentionConfigError, parse_rules


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("13 months", Period(months=13)),
        ("2 years", Period(years=2)),
        ("1 year", Period(years=1)),
        ("90 days", Period(days=90)),
        ("4 weeks", Period(days=28)),
        ("P13M", Period(months=13)),
        ("P1Y2M10D", Period(years=1, months=2, days=10)),
    ],
)
def test_periods(text: str, period: Period) -> None:
    assert Period.parse(text) == period


def test_calendar_months_clip_to_the_last_day() -> None:
    march_31 = datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert Period(months=1).before(march_31) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert Period(months=13).before(march_31) == datetime(2025, 2, 28, 12, tzinfo=UTC)
    assert Period(years=2).before(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(
        2026, 2, 28, tzinfo=UTC
    )
    assert Period(days=90).before(march_31) == datetime(2025, 12, 31, 12, tzinfo=UTC)


def test_rules_from_json_and_yaml_file(tmp_path) -> None:
    rules = parse_rules('[{"source": "callcentre", "keep_for": "2 years"}]')
    assert rules[0].name == "callcentre" and rules[0].keep_for == Period(years=2)
    path = tmp_path / "retention.yaml"
    path.write_text("rules:\n  - name: cookies\n    kind: cookie\n    keep_for: 13 months\n")
    (rule,) = parse_rules(str(path))
    assert rule.describe() == "cookies (kind cookie, 13 months after last_seen)"
    assert parse_rules("") == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ('[{"kind": "cookie"}]', "rule 0: keep_for: Field required"),
        ('[{"kind": "cookie", "keep_for": "soon"}]', "rule 0: keep_for: Value error, 'soon'"),
        ('[{"keep_for": "1 year"}]', "rule 0: rule: Value error, give exactly one of"),
        (
            '[{"source": "a", "kind": "cookie", "keep_for": "1 year"}]',
            "give exactly one of 'source' or 'kind'",
        ),
        ('[{"kind": "fax", "keep_for": "1 year"}]', "rule 0: kind: unknown identifier kind 'fax'"),
        ('[{"source": "a", "keep_for": "1 year", "ttl": 3}]', "rule 0: ttl: Extra inputs"),
        (
            '[{"source": "a", "keep_for": "1 year"}, {"source": "a", "keep_for": "2 years"}]',
            "rule names must differ: a",
        ),
        ("[{", "not valid JSON/YAML"),
        ("/nowhere/rules.yaml", "neither a JSON list nor a file"),
        ('{"source": "a"}', "neither a JSON list nor a file"),
    ],
)
def test_bad_rules_name_the_rule_and_field(spec: str, message: str) -> None:
    with pytest.raises(RetentionConfigError, match="IDGRAPH_RETENTION_RULES") as caught:
        parse_rules(spec)
    assert message in caught.value.message


def test_extra_kinds_are_allowed() -> None:
    (rule,) = parse_rules('[{"kind": "loyalty", "keep_for": "3 years"}]', {"loyalty"})
    assert rule.kind == "loyalty"
