"""Quarantine: identifiers linked to too many otherwise separate people join no customer.

A support line, ``test@test.com`` or an internet-cafe device is observed with many
people's identifiers; left joinable it would chain them into one customer. Whenever an
identifier's links change it is re-checked against the shared-identifier rule
(:data:`app.engine.resolution.config.DEFAULT_SHARED_LIMITS`), and marked shared or
released.
"""

from __future__ import annotations

from app.engine.ports import RecordUnit
from app.engine.resolution.config import ResolutionConfig

QuarantineUnit = RecordUnit


def shared_verdict(
    config: ResolutionConfig, kind: str, neighbour_kinds: dict[str, int]
) -> tuple[bool, str | None]:
    """Whether an identifier is shared, from how many identifiers of each kind it is
    linked to, with the reason (e.g. a support line linked to 40 distinct phones)."""
    if sum(neighbour_kinds.values()) <= config.min_shared_limit:
        return False, None  # no count passes a limit when all of them together do not
    limits = config.shared_limits_for(kind)
    for other, limit in sorted(limits.items()):
        count = neighbour_kinds.get(other, 0)
        if count > limit:
            return True, (
                f"linked to {count} distinct {other} identifiers of otherwise separate "
                f"people; a {kind} may be linked to at most {limit}"
            )
    return False, None


def requarantine(
    unit: QuarantineUnit, config: ResolutionConfig, candidates: list[str]
) -> tuple[dict[str, str | None], set[str]]:
    """Re-check identifiers whose links changed; return flips (-> reason) and the
    neighbours of released identifiers (their components may merge again)."""
    if not candidates:
        return {}, set()
    counts = unit.neighbour_kinds(candidates, config.min_shared_limit)
    flips: dict[str, str | None] = {}
    rows = []
    released: list[str] = []
    for key, (kind, was_shared, kinds) in sorted(counts.items()):
        shared, reason = shared_verdict(config, kind, kinds)
        if shared:
            rows.append({"key": key, "shared": True, "reason": reason})
        elif was_shared:
            rows.append({"key": key, "shared": False, "reason": None})
            released.append(key)
        if shared != was_shared:
            flips[key] = reason
    if rows:
        unit.set_shared(rows)
    return flips, unit.neighbours(released) if released else set()
