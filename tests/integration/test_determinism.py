"""Order independence, idempotency and concurrency, checked against oracles.

The stored partition (customers as sets of identifiers) must equal what a from-scratch
clustering of the same records gives, whatever the order, batching or concurrency; and
on graphs with no policy or quarantine at play, it must equal networkx's connected
components of the co-observation graph. Some records carry birth dates and national ids
(equal, equal up to a typo, or different), so the attribute policies and the look-alike
evidence those attributes give are part of "the set of records" too.
"""

from __future__ import annotations

import itertools
import random
from concurrent.futures import ThreadPoolExecutor

import networkx as nx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.engine.matching import default_model
from app.engine.normalize import Normaliser
from app.engine.recluster import partition_records, stored_partition
from graph_models.records import SourceRecord

pytestmark = pytest.mark.integration

POOL = (
    [("email", f"user{n}@x.com") for n in range(6)]
    + [("phone", f"+1415555{n:04d}") for n in range(4)]
    + [("phone", "+14159000000")] * 3  # a busy line, to reach quarantine
    + [("cookie", f"ck{n}") for n in range(6)]
    + [("account", f"acct{n}") for n in range(3)]
    + [("device", f"dev{n}") for n in range(2)]
)

# The same date written two ways, one digit off, day and month swapped, and strangers.
BIRTH_DATES = ["1990-02-01", "19900201", "1990-02-07", "1990-01-02", "1985-07-12", "1972-11-30"]
# An adjacent transposition of the first, and a stranger.
NATIONAL_IDS = ["123-45-6789", "123-54-6789", "987-65-4321"]


def _attributes(birth_date: str | None, national_id: str | None) -> dict[str, str]:
    attributes = {"birth_date": birth_date, "national_id": national_id}
    return {k: v for k, v in attributes.items() if v is not None}


record_strategy = st.builds(
    lambda source, rid, ids, day, birth_date, national_id: SourceRecord.model_validate(
        {
            "source": source,
            "record_id": f"r{rid}",
            "observed_at": f"2026-11-{day:02d}T00:00:00Z",
            "identifiers": [{"kind": k, "value": v} for k, v in ids],
            "attributes": _attributes(birth_date, national_id),
        }
    ),
    st.sampled_from(["crm", "web", "orders"]),
    st.integers(0, 14),
    st.lists(st.sampled_from(POOL), min_size=1, max_size=3),
    st.integers(1, 28),
    st.one_of(st.none(), st.none(), st.sampled_from(BIRTH_DATES)),
    st.one_of(st.none(), st.none(), st.none(), st.sampled_from(NATIONAL_IDS)),
)


def stored(store) -> tuple[set[frozenset[str]], dict[str, bool]]:
    rows = store.driver.execute_query(
        "MATCH (i:Identifier) RETURN i.key AS key, i.customer_id AS cid, i.shared AS shared"
    ).records
    partition = stored_partition({r["key"]: r["cid"] for r in rows})
    return partition, {r["key"]: bool(r["shared"]) for r in rows}


def expected(records: list[SourceRecord]):
    """The oracle, with the look-alike evidence the service's default model finds."""
    normaliser = Normaliser()
    return partition_records([normaliser.record(r) for r in records], model=default_model())


def ingest_in_batches(services, records: list[SourceRecord], rng: random.Random) -> None:
    i = 0
    while i < len(records):
        size = rng.randint(1, 4)
        services.ingestion.ingest(records[i : i + size])
        i += size


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=st.lists(record_strategy, min_size=1, max_size=14), seed=st.integers(0, 10**6))
def test_partition_is_independent_of_order_and_batching(services, store, records, seed) -> None:
    rng = random.Random(seed)
    # Distinct record keys so that "the set of records" is unambiguous.
    unique = list({r.key: r for r in records}.values())
    reference = expected(unique)
    store.wipe()
    shuffled = unique[:]
    rng.shuffle(shuffled)
    ingest_in_batches(services, shuffled, rng)
    services.ingestion.ingest(shuffled[: rng.randint(0, len(shuffled))])  # re-sent: changes nothing
    partition, shared = stored(store)
    assert partition == reference.groups()
    assert shared == reference.shared
    assert services.reclustering.recluster(dry_run=True).differing_identifiers == 0


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=st.lists(record_strategy, min_size=1, max_size=12), seed=st.integers(0, 10**6))
def test_one_record_per_person_sources_are_order_independent(
    store, neo4j_settings, records, seed
) -> None:
    """With "crm lists each person once", the partition still depends only on the records."""
    from app.bootstrap import Services
    from app.engine.core import resolution_config

    settings = neo4j_settings.model_copy(update={"one_record_per_person_sources": ["crm"]})
    services = Services.over(store, settings)
    rng = random.Random(seed)
    unique = list({r.key: r for r in records}.values())
    normaliser = Normaliser()
    reference = partition_records(
        [normaliser.record(r) for r in unique], resolution_config(settings), default_model()
    )
    store.wipe()
    shuffled = unique[:]
    rng.shuffle(shuffled)
    ingest_in_batches(services, shuffled, rng)
    partition, shared = stored(store)
    assert partition == reference.groups()
    assert shared == reference.shared


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=st.lists(record_strategy, min_size=1, max_size=10),
    later=st.lists(record_strategy, min_size=1, max_size=10),
)
def test_replacing_records_matches_a_fresh_load(services, store, first, later) -> None:
    """Re-sending record ids with new content ends where loading the final content would."""
    store.wipe()
    services.ingestion.ingest(first)
    services.ingestion.ingest(later)
    final = list({r.key: r for r in [*first, *later]}.values())
    reference = expected(final)
    partition, shared = stored(store)
    assert partition == reference.groups()
    assert shared == reference.shared


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=st.lists(record_strategy, min_size=1, max_size=14))
def test_matches_networkx_components_without_policies(services, store, records) -> None:
    # No accounts and no attributes (no policy split, no look-alike evidence); skip the
    # rare stream that quarantines something.
    plain = [
        r.model_copy(
            update={
                "identifiers": [i for i in r.identifiers if i.kind != "account"],
                "attributes": {},
            }
        )
        for r in {r.key: r for r in records}.values()
    ]
    plain = [r for r in plain if r.identifiers]
    assume(plain)
    reference = expected(plain)
    assume(not any(reference.shared.values()))
    graph = nx.Graph()
    normaliser = Normaliser()
    for record in plain:
        keys = [i.key for i in normaliser.record(record).identifiers]
        graph.add_nodes_from(keys)
        graph.add_edges_from(itertools.combinations(keys, 2))
    store.wipe()
    services.ingestion.ingest(plain)
    partition, _ = stored(store)
    assert partition == {frozenset(c) for c in nx.connected_components(graph)}


def test_concurrent_batches_touching_the_same_customers(services, store) -> None:
    rng = random.Random(42)
    people = 30
    records = []
    for n in range(400):
        person = rng.randrange(people)
        buddy = rng.randrange(people)  # cross-links force merges across threads
        ids = [("email", f"p{person}@x.com"), ("cookie", f"c{person}-{rng.randrange(3)}")]
        if n % 7 == 0:
            ids.append(("phone", f"+1415555{buddy:04d}"))
        records.append(
            SourceRecord.model_validate(
                {
                    "source": rng.choice(["web", "crm"]),
                    "record_id": f"r{n}",
                    "identifiers": [{"kind": k, "value": v} for k, v in ids],
                }
            )
        )
    batches = [records[i : i + 20] for i in range(0, len(records), 20)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(services.ingestion.ingest, batches))
    partition, shared = stored(store)
    reference = expected(records)
    assert partition == reference.groups()
    assert shared == reference.shared
    counts = store.driver.execute_query(
        "MATCH (i:Identifier) OPTIONAL MATCH (i)-[b:BELONGS_TO]->() "
        "RETURN i.key AS key, count(b) AS n"
    ).records
    assert all(r["n"] <= 1 for r in counts)
