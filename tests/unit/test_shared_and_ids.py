"""Shared-identifier quarantine, the from-scratch partition of records, and stable ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.engine.clustering import Clustering, Link, PolicySplit, cluster
from app.engine.normalize import Normaliser
from app.engine.recluster import partition_records
from app.engine.resolution import ResolutionConfig, Resolver, Scope, assign_ids
from graph_models.customers import ChangeType
from graph_models.identifiers import RawIdentifier
from graph_models.records import NormalisedRecord, SourceRecord

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SUPPORT = "phone:+18005550199"

# ---------------------------------------------------------------------- shared verdict


def test_phone_linked_to_more_than_five_phones_is_shared() -> None:
    shared, reason = Resolver().shared_verdict("phone", {"phone": 6, "email": 1})

    assert shared is True
    assert reason is not None
    assert "6 distinct phone" in reason
    assert "at most 5" in reason


def test_phone_linked_to_five_phones_is_not_shared() -> None:
    assert Resolver().shared_verdict("phone", {"phone": 5, "email": 5}) == (False, None)


def test_no_neighbours_is_not_shared() -> None:
    assert Resolver().shared_verdict("device", {}) == (False, None)


def test_kind_rows_override_the_default_row() -> None:
    resolver = Resolver()

    # A device may see 10 devices but an email may see 30.
    assert resolver.shared_verdict("cookie", {"device": 11})[0] is True
    assert resolver.shared_verdict("email", {"device": 11})[0] is False
    assert resolver.shared_verdict("email", {"device": 31})[0] is True


def test_configured_limits_are_used() -> None:
    config = ResolutionConfig(shared_limits={"*": {"account": 1}})

    assert Resolver(config).shared_verdict("device", {"account": 2})[0] is True
    assert Resolver(config).shared_verdict("device", {"account": 1})[0] is False
    assert config.min_shared_limit == 1


# ---------------------------------------------------------------------- partition_records


def record(
    source: str, record_id: str, *identifiers: tuple[str, str], minutes: int = 0
) -> NormalisedRecord:
    raw = SourceRecord(
        source=source,
        record_id=record_id,
        observed_at=NOW + timedelta(minutes=minutes),
        identifiers=[RawIdentifier(kind=k, value=v) for k, v in identifiers],
    )
    return Normaliser().record(raw)


def small_world() -> list[NormalisedRecord]:
    """Six callers who gave the support line, and a household sharing one tablet."""
    records = [
        record(
            "callcentre",
            f"CALL-{i}",
            ("email", f"person{i}@example.com"),
            ("phone", f"+1 415 555 01{i:02d}"),
            ("phone", "+1 (800) 555-0199"),
        )
        for i in range(6)
    ]
    records += [
        record("web", "e-1", ("account", "u-1"), ("device", "tablet")),
        record("web", "e-2", ("account", "u-1"), ("device", "tablet")),
        record("web", "e-3", ("account", "u-2"), ("device", "tablet")),
        record("web", "e-4", ("account", "u-1"), ("email", "alice@example.com")),
        record("web", "e-5", ("account", "u-2"), ("email", "bob@example.com")),
    ]
    return records


def test_partition_records_quarantines_the_support_line() -> None:
    partition = partition_records(small_world())

    assert partition.shared[SUPPORT] is True
    assert [k for k, s in partition.shared.items() if s] == [SUPPORT]
    for i in range(6):
        person = frozenset({f"email:person{i}@example.com", f"phone:+1415555010{i}"})
        assert person in partition.groups()
    assert not any(SUPPORT in g for g in partition.groups())


def test_partition_records_splits_the_household_tablet() -> None:
    partition = partition_records(small_world())

    alice = frozenset({"account:web/u-1", "device:tablet", "email:alice@example.com"})
    bob = frozenset({"account:web/u-2", "email:bob@example.com"})
    assert alice in partition.groups()
    assert bob in partition.groups()
    assert len(partition.groups()) == 8
    (split,) = partition.clustering.splits
    assert split.separated == ("account:web/u-1", "account:web/u-2")
    # u-1 saw the tablet twice, u-2 once: the weaker link is the one cut.
    assert split.cut == (("account:web/u-2", "device:tablet"),)


def test_partition_records_keeps_the_last_content_per_key() -> None:
    first = record("web", "e-1", ("email", "a@example.com"), ("phone", "4155550100"))
    replaced = record("web", "e-1", ("email", "a@example.com"), ("cookie", "ck"))

    partition = partition_records([first, replaced])

    assert partition.groups() == {frozenset({"email:a@example.com", "cookie:ck"})}
    assert "phone:+14155550100" not in partition.shared


def test_partition_records_does_not_depend_on_record_order() -> None:
    records = small_world()

    assert partition_records(records).groups() == partition_records(records[::-1]).groups()


# ---------------------------------------------------------------------- assign_ids


def by_hand(*groups: set[str], splits: list[PolicySplit] | None = None) -> Clustering:
    """A Clustering of these groups with full confidences (no links needed)."""
    frozen = sorted((frozenset(g) for g in groups), key=min)
    return Clustering(
        groups=frozen,
        splits=splits or [],
        membership={k: 1.0 for g in frozen for k in g},
        confidence=dict.fromkeys(frozen, 1.0),
        weakest=dict.fromkeys(frozen),
    )


def scope_of(customers: dict[str, tuple[datetime, set[str]]], **extra: object) -> Scope:
    scope = Scope(**extra)  # type: ignore[arg-type]
    scope.customers.update(customers)
    for cid, (_, members) in customers.items():
        for key in members:
            scope.old_customer[key] = cid
            scope.shared.setdefault(key, False)
    return scope


def test_merge_keeps_the_oldest_id() -> None:
    # The older customer has the larger id: age, not the id, decides.
    scope = scope_of(
        {
            "C-zzz": (NOW - timedelta(days=30), {"email:a@x.com"}),
            "C-aaa": (NOW - timedelta(days=1), {"phone:+1"}),
        },
        links={("email:a@x.com", "phone:+1"): 0.9},
    )

    assignment = assign_ids(
        scope, by_hand({"email:a@x.com", "phone:+1"}), {"phone:+1": "web|e-9"}, {}, NOW
    )

    assert assignment.members == {"C-zzz": ["email:a@x.com", "phone:+1"]}
    (change,) = assignment.changes
    assert change.type == ChangeType.MERGED
    assert change.customer_id == "C-zzz"
    assert change.before == ["C-zzz", "C-aaa"]
    assert change.after == ["C-zzz"]
    assert change.trigger_record == "web|e-9"
    assert "email:a@x.com is now linked to phone:+1" in change.reason
    assert assignment.retired == [{"id": "C-aaa", "status": "merged", "into": "C-zzz"}]


def test_split_keeps_the_id_on_the_larger_part() -> None:
    scope = scope_of({"C-1": (NOW - timedelta(days=3), {"email:a", "phone:b", "cookie:z"})})

    assignment = assign_ids(
        scope, by_hand({"email:a", "phone:b"}, {"cookie:z"}), {"cookie:z": "web|e-1"}, {}, NOW
    )

    assert assignment.members["C-1"] == ["email:a", "phone:b"]
    (new_id,) = set(assignment.members) - {"C-1"}
    assert new_id.startswith("C-")
    assert assignment.members[new_id] == ["cookie:z"]
    (change,) = assignment.changes
    assert change.type == ChangeType.SPLIT
    assert change.customer_id == "C-1"
    assert change.before == ["C-1"]
    assert change.after == ["C-1", new_id]
    assert change.trigger_record == "web|e-1"
    assert assignment.retired == []


def test_split_reason_names_the_policy_and_cut() -> None:
    u1, u2, tablet = "account:web/u-1", "account:web/u-2", "device:tablet"
    links = [Link(u1, tablet, 0.9), Link(u2, tablet, 0.6)]
    clustering = cluster([u1, u2, tablet], links)
    scope = scope_of({"C-1": (NOW, {u1, u2, tablet})}, links={(lk.a, lk.b): lk.p for lk in links})

    assignment = assign_ids(scope, clustering, {}, {}, NOW)

    assert assignment.members["C-1"] == [u1, tablet]
    (change,) = assignment.changes
    assert change.type == ChangeType.SPLIT
    assert "at most 1 account per source per customer" in change.reason
    assert f"{u2} -- {tablet}" in change.reason


def test_group_without_old_members_is_created() -> None:
    scope = scope_of({}, shared={"email:new@x.com": False, "phone:+2": False})

    assignment = assign_ids(
        scope,
        by_hand({"email:new@x.com", "phone:+2"}),
        {"email:new@x.com": "crm|A-2", "phone:+2": "crm|A-1"},
        {},
        NOW,
    )

    (cid,) = assignment.members
    (change,) = assignment.changes
    assert change.type == ChangeType.CREATED
    assert change.customer_id == cid
    assert change.before == []
    assert change.after == [cid]
    assert change.trigger_record == "crm|A-1"
    assert assignment.retired == []


def test_customer_with_no_members_left_is_retired() -> None:
    scope = scope_of({"C-gone": (NOW - timedelta(days=2), {SUPPORT})})
    scope.shared[SUPPORT] = True

    assignment = assign_ids(scope, by_hand(), {}, {SUPPORT: "linked to 6 distinct ..."}, NOW)

    assert assignment.members == {}
    assert assignment.retired == [{"id": "C-gone", "status": "retired", "into": None}]
    (change,) = assignment.changes
    assert change.type == ChangeType.RETIRED
    assert change.customer_id == "C-gone"
    assert change.before == ["C-gone"]
    assert change.after == []


def test_unchanged_customer_keeps_its_id_without_changes() -> None:
    scope = scope_of({"C-1": (NOW, {"email:a", "phone:b"})})

    assignment = assign_ids(scope, by_hand({"email:a", "phone:b"}), {}, {}, NOW)

    assert assignment.members == {"C-1": ["email:a", "phone:b"]}
    assert assignment.changes == []
    assert assignment.retired == []


def test_merged_away_customer_is_not_a_split_survivor() -> None:
    # C-young's members split in two; its larger part merges into the older C-old.
    scope = scope_of(
        {
            "C-old": (NOW - timedelta(days=10), {"email:a"}),
            "C-young": (NOW - timedelta(days=1), {"phone:b", "cookie:c", "device:d"}),
        }
    )

    assignment = assign_ids(
        scope, by_hand({"email:a", "phone:b", "cookie:c"}, {"device:d"}), {}, {}, NOW
    )

    assert {"id": "C-young", "status": "merged", "into": "C-old"} in assignment.retired
    (split,) = [c for c in assignment.changes if c.type == ChangeType.SPLIT]
    retired_ids = {r["id"] for r in assignment.retired}
    assert not retired_ids & set(split.after)
