"""The engine's knobs: scoring, policies, threshold, the shared-identifier rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.engine.clustering import (
    DEFAULT_ATTRIBUTE_POLICIES,
    DEFAULT_POLICIES,
    AttributePolicy,
    KindPolicy,
)
from app.engine.scoring import ScoringConfig
from app.engine.similarity import MatchingConfig

#: The shared-identifier rule: an identifier of kind X linked to more than
#: ``limits[X][K]`` distinct identifiers of kind K is quarantined as shared. ``"*"`` is the
#: default row. A person has a few emails, phones and accounts; a household tablet sees a
#: few accounts; a support line or an internet-cafe device sees far more. Accounts and
#: emails collect many cookies over time, so their cookie limits are high.
DEFAULT_SHARED_LIMITS: dict[str, dict[str, int]] = {
    "*": {"account": 5, "email": 5, "phone": 5, "device": 10, "cookie": 20},
    "account": {"account": 5, "email": 5, "phone": 5, "device": 30, "cookie": 500},
    "email": {"account": 5, "email": 5, "phone": 5, "device": 30, "cookie": 500},
}

Pair = tuple[str, str]


@dataclass(frozen=True)
class ResolutionConfig:
    """Knobs of the engine (documented in the README's configuration section)."""

    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    policies: tuple[KindPolicy, ...] = DEFAULT_POLICIES
    threshold: float = 0.5
    shared_limits: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_SHARED_LIMITS.items()}
    )
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    attribute_policies: tuple[AttributePolicy, ...] = DEFAULT_ATTRIBUTE_POLICIES

    def shared_limits_for(self, kind: str) -> dict[str, int]:
        """Per neighbour kind, how many an identifier of ``kind`` may be linked to."""
        return self.shared_limits.get(kind, self.shared_limits["*"])

    @property
    def min_shared_limit(self) -> int:
        return min(n for row in self.shared_limits.values() for n in row.values())


def kind_of(key: str) -> str:
    """The kind part of an identifier key (``email:a@b.c`` -> ``email``)."""
    return key.split(":", 1)[0]
