"""Probabilistic matching in the live graph: blocks in Neo4j, SIMILAR evidence, explanations.

The oracle is :func:`app.engine.recluster.partition_records` with the same match model: it
finds candidate pairs the batch way (all blocks at once), so the live, incremental path
must end in the same customers and the same SIMILAR links whatever the order, batching or
block-size flips.
"""

from __future__ import annotations

import dataclasses
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.bootstrap import Services
from app.engine.core import resolution_config
from app.engine.matching import (
    DEFAULT_COMPARISONS,
    TermFrequencies,
    default_model,
    manual_model,
)
from app.engine.normalize import Normaliser
from app.engine.recluster import partition_records, similar_links, stored_partition
from app.engine.similarity import profile_of_record
from graph_models.records import SourceRecord

pytestmark = pytest.mark.integration

PEOPLE = [
    ("jane", "doe", "1990-02-01", "94110", "12 market street"),
    ("john", "smith", "1985-07-12", "94110", "4 mission st"),
    ("maria", "garcia", "1972-11-30", "10001", "77 broadway"),
    ("wei", "chen", "2001-03-09", "60601", "9 lake shore drive"),
    ("jon", "smith", "1985-07-21", "94110", "4 mission st"),  # near twin of john smith
]


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def record(
    source: str, rid: str, attrs: dict[str, str], ids: list[tuple[str, str]] = ()
) -> SourceRecord:
    return SourceRecord.model_validate(
        {
            "source": source,
            "record_id": rid,
            "observed_at": "2026-11-01T00:00:00Z",
            "identifiers": [{"kind": k, "value": v} for k, v in ids],
            "attributes": attrs,
        }
    )


def attrs_of(person: tuple[str, ...], rng: random.Random | None = None) -> dict[str, str]:
    first, last, dob, postcode, address = person
    if rng is not None:
        which = rng.randrange(4)
        first = typo(first, rng) if which == 0 else first
        last = typo(last, rng) if which == 1 else last
        address = typo(address, rng) if which == 2 else address
    return {
        "first_name": first.title(),
        "last_name": last.title(),
        "birth_date": dob,
        "postcode": postcode,
        "address_1": address,
    }


def stored_state(store) -> tuple[set[frozenset[str]], dict[tuple[str, str], float]]:
    rows = store.driver.execute_query(
        "MATCH (i:Identifier) RETURN i.key AS key, i.customer_id AS cid"
    ).records
    links = store.driver.execute_query(
        "MATCH (a:Identifier)-[s:SIMILAR]->(b:Identifier) "
        "RETURN a.key AS a, b.key AS b, s.match_probability AS p"
    ).records
    return (
        stored_partition({r["key"]: r["cid"] for r in rows}),
        {(r["a"], r["b"]): r["p"] for r in links},
    )


def test_look_alike_records_without_identifiers_become_one_customer(services, store) -> None:
    results = services.ingestion.ingest(
        [
            record(
                "crm",
                "A-1",
                {
                    "first_name": "Jon",
                    "last_name": "Smyth",
                    "birth_date": "1990-02-01",
                    "postcode": "94110",
                },
            ),
            record(
                "orders",
                "O-9",
                {
                    "first_name": "John",
                    "last_name": "Smith",
                    "birth_date": "1990-02-01",
                    "postcode": "94110",
                },
            ),
            record(
                "orders",
                "O-10",
                {
                    "first_name": "Maria",
                    "last_name": "Garcia",
                    "birth_date": "1972-11-30",
                    "postcode": "10001",
                },
            ),
        ]
    )
    by_id = {r.record_id: r for r in results}
    assert by_id["A-1"].customer_id == by_id["O-9"].customer_id is not None
    assert by_id["O-10"].customer_id not in (None, by_id["A-1"].customer_id)

    found = services.lookups.lookup("record", "crm|A-1")
    assert found.customer_id == by_id["A-1"].customer_id
    explanation = services.explanations.explain("record:crm|A-1", "record:orders|O-9")
    assert explanation.same_customer
    (link,) = explanation.links
    assert link.rule == "fellegi_sunter"
    (pair,) = link.record_pairs
    assert pair.records == ["crm|A-1", "orders|O-9"]
    assert pair.comparison["birth_date"]["level"] == "exact"
    assert pair.comparison["last_name"]["level"] != "exact"  # Smyth vs Smith
    assert pair.match_probability == pytest.approx(link.match_probability)

    blocks = store.driver.execute_query(
        "MATCH (r:Record {key: 'crm|A-1'})-[:IN_BLOCK]->(b:Block) RETURN b.key AS key, b.size AS n"
    ).records
    assert any(b["key"].startswith("dob:") and b["n"] == 2 for b in blocks)


def test_an_email_typo_does_not_create_a_stranger(services, store) -> None:
    services.ingestion.ingest(
        [
            record("crm", "A-1", attrs_of(PEOPLE[0]), [("email", "jane.doe@example.com")]),
            record("web", "W-7", attrs_of(PEOPLE[0]), [("email", "jane.doe@gmial.com")]),
        ]
    )
    a = services.lookups.lookup("email", "jane.doe@example.com")
    b = services.lookups.lookup("email", "jane.doe@gmial.com")
    assert a.customer_id == b.customer_id
    evidence = store.driver.execute_query(
        "MATCH (:Identifier {key: 'email:jane.doe@example.com'})-[s:SIMILAR]-"
        "(:Identifier {key: 'email:jane.doe@gmial.com'}) RETURN s.comparisons AS c"
    ).records
    (comparison,) = [json.loads(c) for c in evidence[0]["c"]]
    assert comparison["email"]["level"] != "exact"
    assert comparison["first_name"]["level"] == "exact"


def test_replacing_a_record_replaces_its_similarity_evidence(services, store) -> None:
    services.ingestion.ingest(
        [record("crm", "A-1", attrs_of(PEOPLE[2])), record("web", "W-1", attrs_of(PEOPLE[2]))]
    )
    assert len(stored_state(store)[1]) == 1
    services.ingestion.ingest(
        [record("web", "W-1", attrs_of(PEOPLE[3]))]
    )  # now someone else entirely
    partition, links = stored_state(store)
    assert links == {}
    assert frozenset({"record:crm|A-1"}) in partition
    assert frozenset({"record:web|W-1"}) in partition
    sizes = store.driver.execute_query(
        "MATCH (b:Block) RETURN sum(b.size) AS n, count(b) AS blocks"
    )
    memberships = store.driver.execute_query("MATCH ()-[m:IN_BLOCK]->() RETURN count(m) AS n")
    assert sizes.records[0]["n"] == memberships.records[0]["n"]


people_records = st.lists(
    st.tuples(st.integers(0, len(PEOPLE) - 1), st.integers(0, 10**6), st.booleans()),
    min_size=2,
    max_size=12,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drafts=people_records,
    seed=st.integers(0, 10**6),
    cap=st.sampled_from([2, 3, 200]),
    frozen=st.booleans(),
)
def test_similarity_is_independent_of_order_batching_and_block_flips(
    store, neo4j_settings, drafts, seed, cap, frozen
) -> None:
    """Small caps make blocks cross max_block (and back, with replacements) mid-stream.

    With ``frozen``, the active model carries term frequencies (counted from the records
    before any arrives, as a fit would freeze them): the live counts then change with
    every batch, and the customers must still not depend on the order."""
    store.wipe()
    settings_ = neo4j_settings.model_copy(update={"match_max_block": cap})
    services = Services.over(store, settings_)
    rng = random.Random(seed)
    records = []
    for n, (person, salt, with_email) in enumerate(drafts):
        ids = [("email", f"p{person}.{salt % 3}@example.com")] if with_email else []
        records.append(record("src", f"r{n}", attrs_of(PEOPLE[person], random.Random(salt)), ids))
    model = default_model()
    if frozen:
        counted = _counted(records)
        model = manual_model(dataclasses.replace(model, frequencies=counted))
        services.models.set(model)
    # a few records are sent twice, the second time as another person (replacement)
    replacements = [
        record("src", r.record_id, attrs_of(PEOPLE[(i + 1) % len(PEOPLE)]))
        for i, r in enumerate(records[: rng.randrange(3)])
    ]
    stream = records[:]
    rng.shuffle(stream)
    stream += replacements
    i = 0
    while i < len(stream):
        size = rng.randint(1, 4)
        services.ingestion.ingest(stream[i : i + size])
        i += size

    normaliser = Normaliser()
    final = {r.key: r for r in records} | {r.key: r for r in replacements}
    normalised = [normaliser.record(r) for r in final.values()]
    config = resolution_config(settings_)
    partition, links = stored_state(store)
    expected_links = similar_links(normalised, config, model)
    assert set(links) == set(expected_links)
    for pair, p in expected_links.items():
        assert links[pair] == pytest.approx(p)
    assert partition == partition_records(normalised, config, model).groups()
    assert services.reclustering.recluster(dry_run=True).differing_identifiers == 0


def test_fitting_a_model_and_rematching_rescores_the_evidence(services, store) -> None:
    rng = random.Random(3)
    records = []
    for n in range(60):
        person = PEOPLE[n % 4]
        records.append(record("src", f"r{n}", attrs_of(person, rng)))
    services.ingestion.ingest(records)
    model, pairs = services.models.fit()
    assert model.method == "em" and pairs > 0
    assert services.models.current().version == model.version
    done, _ = services.models.rematch(page=7)
    assert done == 60
    versions = store.driver.execute_query(
        "MATCH ()-[s:SIMILAR]->() RETURN collect(DISTINCT s.model_version) AS v"
    ).records[0]["v"]
    assert versions == [model.version]
    normalised = [Normaliser().record(r) for r in records]
    partition, links = stored_state(store)
    expected = similar_links(normalised, services.engine.resolver.config, model)
    assert set(links) == set(expected)
    assert (
        partition == partition_records(normalised, services.engine.resolver.config, model).groups()
    )


def test_erasing_a_matched_customer_leaves_no_attribute_behind(services, store) -> None:
    services.ingestion.ingest(
        [
            record("crm", "A-1", attrs_of(PEOPLE[3])),
            record("web", "W-1", attrs_of(PEOPLE[3], random.Random(1))),
            record("web", "W-2", attrs_of(PEOPLE[2])),
        ]
    )
    customer = services.lookups.lookup("record", "crm|A-1").customer_id
    assert services.lookups.lookup("record", "web|W-1").customer_id == customer
    services.erasure.erase_customer(customer)
    dump = store.driver.execute_query(
        "MATCH (n) RETURN properties(n) AS p UNION ALL MATCH ()-[r]->() RETURN properties(r) AS p"
    ).records
    text = json.dumps([r["p"] for r in dump], default=str).lower()
    for value in ("wei", "chen", "2001-03-09", "20010309", "lake shore"):
        assert value not in text, value
    assert "garcia" in text  # the other customer is untouched


def test_api_explains_look_alikes_and_shows_the_model(client) -> None:
    from tests.conftest import auth

    body = {
        "records": [
            {"source": "crm", "record_id": "A-1", "attributes": attrs_of(PEOPLE[3])},
            {
                "source": "web",
                "record_id": "W-1",
                "attributes": attrs_of(PEOPLE[3], random.Random(2)),
            },
        ]
    }
    assert client.post("/v1/records", json=body).status_code == 200
    found = client.get("/v1/lookup", params={"kind": "record", "value": "web|W-1"})
    assert found.status_code == 200
    explained = client.get(
        "/v1/explain", params={"a": "record:crm|A-1", "b": "record:web|W-1"}
    ).json()
    assert explained["same_customer"] is True
    (pair,) = explained["links"][0]["record_pairs"]
    assert pair["records"] == ["crm|A-1", "web|W-1"]
    assert {"first_name", "last_name", "birth_date", "address"} <= set(pair["comparison"])
    lineage = client.get(f"/v1/customers/{found.json()['customer_id']}/lineage").json()
    assert lineage["links"][0]["rule"] == "fellegi_sunter"
    assert lineage["links"][0]["record_pairs"][0]["records"] == ["crm|A-1", "web|W-1"]

    model = client.get("/v1/match-model", headers=auth("reader"))
    assert model.status_code == 200
    assert model.json()["version"] == "default-3" and model.json()["method"] == "default"
    levels = {(r["field"], r["label"]) for r in model.json()["levels"]}
    assert ("birth_date", "exact") in levels and ("first_name", "jw>=0.92") in levels
    assert (
        client.get("/v1/match-model", headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    rejected = client.post(
        "/v1/records",
        json={
            "records": [
                {
                    "source": "crm",
                    "record_id": "X",
                    "identifiers": [{"kind": "record", "value": "crm|A-1"}],
                }
            ]
        },
    )
    assert rejected.status_code == 422 and "kind" in rejected.text


def _graph_frequencies(services) -> TermFrequencies:
    rows = services.store.in_read_transaction(lambda unit: unit.term_frequencies())
    return TermFrequencies.from_blocks(rows)


def _counted(records: list[SourceRecord]) -> TermFrequencies:
    latest = {}
    for r in records:
        latest[f"{r.source}|{r.record_id}"] = Normaliser().record(r)
    profiles = [p for p in (profile_of_record(r) for r in latest.values()) if p is not None]
    return TermFrequencies.from_profiles(profiles, DEFAULT_COMPARISONS)


def test_term_frequencies_follow_records_in_and_out(services, store) -> None:
    """The counts in Neo4j equal a count over the records, after arrivals, a replacement
    and an erasure; the fitted model freezes them and scores a common surname lower."""
    rng = random.Random(11)
    records = [record("src", f"r{n}", attrs_of(PEOPLE[n % 5], rng)) for n in range(40)]
    for start in range(0, 40, 7):
        services.ingestion.ingest(records[start : start + 7])
    assert _graph_frequencies(services) == _counted(records)
    assert _graph_frequencies(services).count("last_name", "smith") >= 10

    replacement = record("src", "r0", attrs_of(PEOPLE[3]))  # jane doe becomes wei chen
    services.ingestion.ingest([replacement])
    current = [replacement, *records[1:]]
    assert _graph_frequencies(services) == _counted(current)

    customer = services.lookups.lookup("record", "src|r2").customer_id
    erased = {
        k
        for (k,) in store.driver.execute_query(
            "MATCH (i:Identifier {customer_id: $c}) WHERE i.kind = 'record' "
            "RETURN substring(i.key, 7) AS k",
            c=customer,
        ).records
    }
    services.erasure.erase_customer(customer)
    left = [r for r in current if f"{r.source}|{r.record_id}" not in erased]
    assert _graph_frequencies(services) == _counted(left)

    model, _ = services.models.fit()
    assert model.frequencies == _graph_frequencies(services)
    smiths = [r for r in left if r.attributes["last_name"].lower() == "smith"]
    if len(smiths) >= 2:
        pair = model.score_pair(
            profile_of_record(Normaliser().record(smiths[0])),
            profile_of_record(Normaliser().record(smiths[1])),
        )
        assert pair.fields[1].tf_adjustment <= 0.0
