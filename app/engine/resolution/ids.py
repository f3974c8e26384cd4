"""Stable customer ids: who keeps which id after a re-cluster, and what changed.

Each old customer goes with the new group holding most of its members; a group claimed
by several keeps the oldest id (a merge); a part nobody claims gets a new id (a split, or
a creation). Every change becomes a history event with a reason a person can read.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.engine.clustering import Clustering
from app.engine.resolution.config import Pair
from app.engine.resolution.scope import Scope, override_rule_name
from graph_models.customers import Change, ChangeType

_event_seq = itertools.count()


def new_event_id() -> str:
    """Event ids sort in creation order within a process (history orders by time, then id)."""
    return f"E-{time.time_ns():020d}-{next(_event_seq) % 1_000_000:06d}-{uuid.uuid4().hex[:8]}"


def new_customer_id() -> str:
    return f"C-{uuid.uuid4().hex[:16]}"


@dataclass
class Assignment:
    """The outcome of re-clustering a scope: customer per identifier, and what changed."""

    members: dict[str, list[str]]
    confidence: dict[str, float]
    membership: dict[str, float]
    weakest: dict[str, str | None]
    retired: list[dict[str, Any]]
    changes: list[Change]
    shared: set[str] = field(default_factory=set)


def assign_ids(
    scope: Scope,
    clustering: Clustering,
    triggers: dict[str, str],
    flipped: dict[str, str | None],
    now: datetime,
) -> Assignment:
    """Give each new group a customer id, keeping ids stable, and describe the changes.

    Each old customer goes with the group holding most of its members (ties: the group
    with the smallest key). A group claimed by several old customers keeps the oldest
    (a merge); a group no old customer claims gets a new id: a split if it holds members
    of an old customer, a creation otherwise.
    """
    groups = clustering.groups
    group_of = {key: index for index, group in enumerate(groups) for key in group}
    old_members: dict[str, set[str]] = {cid: set(m) for cid, (_, m) in scope.customers.items()}
    for key, cid in scope.old_customer.items():
        if cid is not None:
            old_members.setdefault(cid, set()).add(key)
    created_at = {cid: at for cid, (at, _) in scope.customers.items()}
    group_links: dict[int, list[tuple[Pair, float]]] = defaultdict(list)
    for (a, b), p in scope.links.items():
        if a in group_of and group_of[a] == group_of.get(b):
            group_links[group_of[a]].append(((a, b), p))

    best: dict[str, int] = {}
    for cid, members in old_members.items():
        counts = Counter(group_of[m] for m in members if m in group_of)
        if counts:
            best[cid] = min(counts, key=lambda g: (-counts[g], min(groups[g])))
    claimants: dict[int, list[str]] = defaultdict(list)
    for cid, index in best.items():
        claimants[index].append(cid)

    def age(cid: str) -> tuple[datetime, str]:
        return (created_at.get(cid, now), cid)

    assigned: dict[str, list[str]] = {}
    confidence: dict[str, float] = {}
    weakest: dict[str, str | None] = {}
    changes: list[Change] = []
    retired: list[dict[str, Any]] = []
    split_parts: dict[str, list[str]] = defaultdict(list)
    group_id: dict[int, str] = {}
    for index, group in enumerate(groups):
        trigger = min((triggers[k] for k in group if k in triggers), default=None)
        owners = sorted(claimants.get(index, []), key=age)
        if owners:
            cid = owners[0]
            if len(owners) > 1:
                changes.append(
                    Change(
                        type=ChangeType.MERGED,
                        customer_id=cid,
                        before=owners,
                        after=[cid],
                        reason=_merge_reason(group_links[index], owners, old_members, scope),
                        trigger_record=trigger,
                    )
                )
                retired.extend({"id": o, "status": "merged", "into": cid} for o in owners[1:])
        else:
            cid = new_customer_id()
            parents = sorted({c for k in group if (c := scope.old_customer.get(k)) is not None})
            if parents:
                for parent in parents:
                    split_parts[parent].append(cid)
            else:
                changes.append(
                    Change(
                        type=ChangeType.CREATED,
                        customer_id=cid,
                        after=[cid],
                        reason=f"new identifiers observed by {trigger}",
                        trigger_record=trigger,
                    )
                )
        assigned[cid] = sorted(group)
        group_id[index] = cid
        confidence[cid] = clustering.confidence[group]
        link = clustering.weakest[group]
        weakest[cid] = f"{link.a} -- {link.b} (p={link.p:.4f})" if link else None
    # Where each old customer's main part went: itself, or its merge survivor.
    final_id = {cid: group_id[index] for cid, index in best.items()}
    for parent, parts in sorted(split_parts.items()):
        survivor = final_id.get(parent)
        keys = set(old_members.get(parent, set()))
        changes.append(
            Change(
                type=ChangeType.SPLIT,
                customer_id=parent,
                before=[parent],
                after=([survivor] if survivor else []) + sorted(parts),
                reason=_split_reason(keys, clustering, flipped, scope),
                trigger_record=min((triggers[k] for k in keys if k in triggers), default=None),
            )
        )
    for cid in sorted(old_members):
        if cid not in best:
            retired.append({"id": cid, "status": "retired", "into": None})
            changes.append(
                Change(
                    type=ChangeType.RETIRED,
                    customer_id=cid,
                    before=[cid],
                    after=sorted(split_parts.get(cid, [])),
                    reason="no joinable identifier left (records replaced or identifiers shared)",
                )
            )
    membership = {k: clustering.membership[k] for group in groups for k in group}
    return Assignment(assigned, confidence, membership, weakest, retired, changes)


def _merge_reason(
    group_links: list[tuple[Pair, float]],
    owners: list[str],
    old_members: dict[str, set[str]],
    scope: Scope,
) -> str:
    owner_of = {k: cid for cid in owners for k in old_members.get(cid, set())}
    for override in sorted(scope.overrides.values(), key=lambda o: o["override_id"]):
        if override["decision"] == "same" and owner_of.get(override["a"]) != owner_of.get(
            override["b"]
        ):
            return override_rule_name(override)
    bridges = [(p, a, b) for (a, b), p in group_links if owner_of.get(a) != owner_of.get(b)]
    if not bridges:
        return f"customers {', '.join(owners)} are now one connected component"
    p, a, b = max(bridges, key=lambda t: (t[0], t[1], t[2]))
    return f"{a} is now linked to {b} (match probability {p:.4f})"


def _split_reason(
    keys: set[str],
    clustering: Clustering,
    flipped: dict[str, str | None],
    scope: Scope,
) -> str:
    for split in clustering.splits:
        if split.separated[0] in keys or split.separated[1] in keys:
            cut = ", ".join(f"{a} -- {b}" for a, b in split.cut)
            conflict = split.conflict()
            return (
                f"policy '{split.policy}' separated {split.separated[0]} from "
                f"{split.separated[1]}{conflict} along the weakest evidence; cut links: {cut}"
            )
    quarantined = sorted(k for k in keys if flipped.get(k))
    if quarantined:
        return f"{quarantined[0]} quarantined as shared: {flipped[quarantined[0]]}"
    return "evidence removed: a record was replaced and its links no longer hold"
