"""Resolution: records in, customers out, re-evaluated incrementally.

A newcomer reads it in the order a batch runs:

- :mod:`.config`: the knobs (threshold, policies, the shared-identifier rule).
- :mod:`.evidence`: records, identifiers, observations and co-observation links written.
- :mod:`.quarantine`: identifiers linked to too many people marked shared.
- :mod:`.scope`: the scope walk (what a change re-evaluates), also used by explanations.
- :mod:`.ids`: stable customer ids and the history events of a re-cluster.
- :mod:`.resolver`: :class:`Resolver`, one batch in one transaction through all of it.
"""

from app.engine.resolution.config import DEFAULT_SHARED_LIMITS, Pair, ResolutionConfig
from app.engine.resolution.ids import Assignment, assign_ids, new_customer_id, new_event_id
from app.engine.resolution.quarantine import shared_verdict
from app.engine.resolution.resolver import Resolver
from app.engine.resolution.scope import (
    Scope,
    ScopeTooLarge,
    ScopeUnit,
    override_rule_name,
    walk_scope,
)

__all__ = [
    "DEFAULT_SHARED_LIMITS",
    "Assignment",
    "Pair",
    "ResolutionConfig",
    "Resolver",
    "Scope",
    "ScopeTooLarge",
    "ScopeUnit",
    "assign_ids",
    "new_customer_id",
    "new_event_id",
    "override_rule_name",
    "shared_verdict",
    "walk_scope",
]
