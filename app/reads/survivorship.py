"""Survivorship: which record's value of an attribute a customer's profile shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Survivorship: most recent value wins; on a tie the earlier source in this list wins.
DEFAULT_SOURCE_PRIORITY = ("crm", "orders", "callcentre", "web")


def golden_attributes(
    records: list[dict[str, Any]], priority: Sequence[str] = DEFAULT_SOURCE_PRIORITY
) -> tuple[dict[str, str], dict[str, str]]:
    """Survivorship: per attribute, the most recently observed value wins; on equal times
    the source earlier in ``priority`` wins, then the smaller record key.

    Returns the chosen values and, per attribute, the record key it came from.
    """
    rank = {source: i for i, source in enumerate(priority)}

    def beats(a: dict[str, Any], b: dict[str, Any]) -> bool:
        if a["observed_at"] != b["observed_at"]:
            return bool(a["observed_at"] > b["observed_at"])
        ra, rb = rank.get(a["source"], len(rank)), rank.get(b["source"], len(rank))
        if ra != rb:
            return ra < rb
        return bool(a["key"] < b["key"])

    best: dict[str, tuple[dict[str, Any], str]] = {}
    for record in records:
        for prop, value in record.items():
            if not prop.startswith("attr_"):
                continue
            name = prop[len("attr_") :]
            if name not in best or beats(record, best[name][0]):
                best[name] = (record, value)
    return (
        {name: value for name, (_, value) in sorted(best.items())},
        {name: record["key"] for name, (record, _) in sorted(best.items())},
    )
