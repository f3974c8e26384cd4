"""Resolution in the real Neo4j: merges, splits, quarantine, replacement, history."""

from __future__ import annotations

from typing import Any

import pytest

from app.bootstrap import Services
from graph_models.records import SourceRecord

pytestmark = pytest.mark.integration


def rec(
    source: str, rid: str, *ids: tuple[str, str], at: str = "2026-11-01T12:00:00Z", **attrs: str
) -> SourceRecord:
    return SourceRecord.model_validate(
        {
            "source": source,
            "record_id": rid,
            "observed_at": at,
            "identifiers": [{"kind": k, "value": v} for k, v in ids],
            "attributes": attrs,
        }
    )


def customer(services: Services, kind: str, value: str) -> str | None:
    return services.lookups.lookup(kind, value).customer_id


def events(store, customer_id: str) -> list[dict[str, Any]]:
    records, _, _ = store.driver.execute_query(
        "MATCH (e:CustomerEvent)-[:ABOUT]->(:Customer {customer_id: $id}) "
        "RETURN e {.*} AS e ORDER BY e.at",
        id=customer_id,
    )
    return [r["e"] for r in records]


def test_merge_keeps_older_id_and_records_event(services: Services, store) -> None:
    first = services.ingestion.ingest(
        [rec("crm", "1", ("email", "a@x.com"), ("phone", "4155550101"))]
    )
    second = services.ingestion.ingest([rec("web", "2", ("cookie", "ck1"), ("account", "u1"))])
    older, newer = first[0].customer_id, second[0].customer_id
    assert older != newer
    merged = services.ingestion.ingest([rec("web", "3", ("cookie", "ck1"), ("email", "A@X.com"))])
    assert merged[0].customer_id == older
    change = merged[0].changes[0]
    assert change.type == "merged" and change.before == [older, newer]
    assert change.trigger_record == "web|3"
    assert customer(services, "account", "web/u1") == older
    profile = services.customers.profile(newer)
    assert profile.status == "merged" and profile.merged_into == older
    assert {i.value for i in profile.identifiers} >= {"a@x.com", "ck1", "web/u1"}
    assert [e["type"] for e in events(store, older)][-1] == "merged"


def test_policy_split_along_weakest_evidence(services: Services) -> None:
    # Two people log in with their own accounts on one household tablet.
    services.ingestion.ingest(
        [
            rec("web", "a1", ("account", "alice"), ("cookie", "ca"), ("email", "alice@x.com")),
            rec("crm", "a2", ("email", "alice@x.com"), ("cookie", "ca")),
            rec("web", "b1", ("account", "bob"), ("cookie", "cb"), ("email", "bob@x.com")),
        ]
    )
    results = services.ingestion.ingest(
        [
            rec("web", "t1", ("device", "tablet"), ("cookie", "ca")),
            rec("web", "t2", ("device", "tablet"), ("cookie", "cb")),
        ]
    )
    alice = customer(services, "account", "web/alice")
    bob = customer(services, "account", "web/bob")
    assert alice and bob and alice != bob
    assert customer(services, "email", "alice@x.com") == alice
    assert customer(services, "email", "bob@x.com") == bob
    # The cut is the weakest evidence: a device link, not the account's own links.
    tablet = customer(services, "device", "tablet")
    assert tablet in (alice, bob)
    assert all(c.type != "merged" or len(c.before) == 1 for r in results for c in r.changes)


def test_support_line_is_quarantined(services: Services) -> None:
    support = "+1 415 900 0000"
    batch = [
        rec("callcentre", f"call-{n}", ("phone", f"+1 415 555 01{n:02d}"), ("phone", support))
        for n in range(12)
    ]
    services.ingestion.ingest(batch)
    looked = services.lookups.lookup("phone", support)
    assert looked.shared and looked.customer_id is None
    assert "linked to 12 distinct phone identifiers" in (looked.shared_reason or "")
    callers = {customer(services, "phone", f"+1 415 555 01{n:02d}") for n in range(12)}
    assert len(callers) == 12 and None not in callers
    profile = services.customers.profile(next(iter(callers)))
    shared = [i for i in profile.identifiers if i.shared]
    assert [i.value for i in shared] == ["+14159000000"]


def test_replaced_record_splits_and_keeps_id_on_larger_part(services: Services) -> None:
    services.ingestion.ingest(
        [
            rec("crm", "1", ("email", "p@x.com"), ("phone", "4155550111")),
            rec("crm", "2", ("email", "p@x.com"), ("cookie", "c1")),
            rec("orders", "9", ("phone", "4155550111"), ("email", "q@x.com")),
        ]
    )
    whole = customer(services, "email", "q@x.com")
    assert whole == customer(services, "cookie", "c1")
    # The order is corrected: it no longer carries the phone.
    result = services.ingestion.ingest([rec("orders", "9", ("email", "q@x.com"))])
    assert customer(services, "email", "p@x.com") == whole
    split_off = customer(services, "email", "q@x.com")
    assert split_off != whole
    split = [c for c in result[0].changes if c.type == "split"]
    assert split and split[0].customer_id == whole and split_off in split[0].after


def test_resend_and_replacement_do_not_double_count(services: Services, store) -> None:
    r1 = rec("crm", "1", ("email", "d@x.com"), ("phone", "4155550122"))
    services.ingestion.ingest([r1])
    services.ingestion.ingest([r1])
    services.ingestion.ingest(
        [rec("crm", "1", ("email", "d@x.com"), ("phone", "4155550122"), at="2026-11-02T00:00:00Z")]
    )
    records, _, _ = store.driver.execute_query(
        "MATCH (:Identifier)-[l:LINKED]->(:Identifier) RETURN l.records AS r"
    )
    assert [r["r"] for r in records] == [["crm|1"]]
    ident, _, _ = store.driver.execute_query(
        "MATCH (i:Identifier {key: 'email:d@x.com'}) RETURN i.record_count AS n"
    )
    assert ident[0]["n"] == 1


def test_second_source_counts_more_than_repeat(services: Services, store) -> None:
    services.ingestion.ingest(
        [
            rec("crm", "1", ("email", "e@x.com"), ("phone", "4155550133")),
            rec("crm", "2", ("email", "e@x.com"), ("phone", "4155550133")),
            rec("crm", "3", ("email", "g@x.com"), ("phone", "4155550155")),
            rec("orders", "4", ("email", "g@x.com"), ("phone", "4155550155")),
        ]
    )
    q = "MATCH (a:Identifier)-[l:LINKED]->() RETURN a.key AS a, l.match_probability AS p"
    p = {r["a"]: r["p"] for r in store.driver.execute_query(q).records}
    repeat, corroborated = p["email:e@x.com"], p["email:g@x.com"]
    assert 0.9 < repeat < corroborated < 1.0


def test_recluster_finds_nothing_to_fix(services: Services) -> None:
    services.ingestion.ingest(
        [
            rec("crm", "1", ("email", "f@x.com"), ("phone", "4155550144")),
            rec("web", "2", ("cookie", "c9"), ("account", "f")),
            rec("web", "3", ("cookie", "c9"), ("email", "f@x.com")),
        ]
    )
    report = services.reclustering.recluster(dry_run=True)
    assert report.identifiers == 4 and report.customers == 1
    assert report.differing_identifiers == 0
