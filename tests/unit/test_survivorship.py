"""Survivorship: the golden value of each attribute, and the record it came from."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from app.reads.survivorship import DEFAULT_SOURCE_PRIORITY, golden_attributes

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def row(key: str, minutes: int = 0, **attrs: str) -> dict[str, Any]:
    """A record as the profile query returns it (``attr_`` properties, observed_at)."""
    source = key.split("|", 1)[0]
    return {
        "key": key,
        "source": source,
        "record_id": key.split("|", 1)[1],
        "observed_at": T0 + timedelta(minutes=minutes),
        "content_hash": "x",
        **{f"attr_{name}": value for name, value in attrs.items()},
    }


def test_most_recent_value_wins_whatever_the_source() -> None:
    records = [
        row("crm|A-1", 0, name="Jane Doe", city="SF"),
        row("web|e-1", 10, name="Jane D."),
        row("orders|O-1", 5, city="Oakland"),
    ]

    values, sources = golden_attributes(records)

    assert values == {"city": "Oakland", "name": "Jane D."}
    assert sources == {"city": "orders|O-1", "name": "web|e-1"}


def test_tie_goes_to_the_source_earlier_in_priority() -> None:
    records = [row("web|e-1", 0, name="web name"), row("crm|A-1", 0, name="crm name")]

    for ordering in (records, records[::-1]):
        values, sources = golden_attributes(ordering)
        assert values == {"name": "crm name"}
        assert sources == {"name": "crm|A-1"}


def test_priority_follows_the_default_order() -> None:
    assert DEFAULT_SOURCE_PRIORITY.index("crm") < DEFAULT_SOURCE_PRIORITY.index("web")
    records = [row(f"{s}|r-1", 0, name=s) for s in DEFAULT_SOURCE_PRIORITY]

    for ordering in itertools.permutations(records):
        assert golden_attributes(list(ordering))[0] == {"name": DEFAULT_SOURCE_PRIORITY[0]}
    without_crm = [r for r in records if r["source"] != "crm"]
    assert golden_attributes(without_crm)[0] == {"name": DEFAULT_SOURCE_PRIORITY[1]}


def test_unknown_source_loses_to_known_sources() -> None:
    records = [row("partner|p-1", 0, name="partner"), row("web|e-1", 0, name="web")]

    assert golden_attributes(records)[0] == {"name": "web"}


def test_custom_priority() -> None:
    records = [row("web|e-1", 0, name="web"), row("crm|A-1", 0, name="crm")]

    assert golden_attributes(records, priority=("web", "crm"))[0] == {"name": "web"}


def test_full_tie_goes_to_the_smaller_record_key() -> None:
    records = [
        row("crm|A-2", 0, name="second"),
        row("crm|A-1", 0, name="first"),
        row("crm|A-3", 0, name="third"),
    ]

    for ordering in itertools.permutations(records):
        values, sources = golden_attributes(list(ordering))
        assert values == {"name": "first"}
        assert sources == {"name": "crm|A-1"}


def test_each_attribute_is_chosen_on_its_own() -> None:
    records = [
        row("crm|A-1", 0, name="Jane", postcode="94110"),
        row("web|e-1", 0, name="jane_web"),
        row("web|e-2", 30, email_opt_in="yes"),
    ]

    values, sources = golden_attributes(records)

    assert values == {"email_opt_in": "yes", "name": "Jane", "postcode": "94110"}
    assert sources == {"email_opt_in": "web|e-2", "name": "crm|A-1", "postcode": "crm|A-1"}


def test_no_records_no_attributes() -> None:
    assert golden_attributes([]) == ({}, {})


def test_non_attribute_properties_are_ignored() -> None:
    values, _ = golden_attributes([row("crm|A-1", 0)])

    assert values == {}


def test_full_tie_prefers_a_key_that_is_a_prefix_of_the_other() -> None:
    # "crm|A-1" < "crm|A-10", so A-1 should win the tie.
    records = [row("crm|A-10", 0, name="ten"), row("crm|A-1", 0, name="one")]

    assert golden_attributes(records)[1] == {"name": "crm|A-1"}
