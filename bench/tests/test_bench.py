"""The benchmark's own logic, without a database: ``.venv/bin/pytest bench/tests``."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from rich.progress import Progress

from app.core.config import Settings
from app.engine.recluster import partition_records
from bench import background
from bench.accuracy import accuracy, pair_scores
from bench.incremental import engine_config
from bench.lookups import lookup_params, percentile
from bench.report import rows
from graph_models.identifiers import Identifier
from graph_models.records import NormalisedRecord


def brute_force(items: list[tuple[str | None, str]]) -> tuple[int, int, int]:
    correct = predicted = true = 0
    for (ca, pa), (cb, pb) in itertools.combinations(items, 2):
        same_customer = ca is not None and ca == cb
        predicted += same_customer
        true += pa == pb
        correct += same_customer and pa == pb
    return correct, predicted, true


@pytest.mark.parametrize("seed", range(50))
def test_pair_counts_from_the_contingency_table_match_enumeration(seed: int) -> None:
    rng = random.Random(seed)
    items = [
        (rng.choice([None, "c1", "c2", "c3", "c4"]), rng.choice(["p1", "p2", "p3"]))
        for _ in range(rng.randint(0, 30))
    ]
    scores = pair_scores(items)
    assert (scores.correct_pairs, scores.predicted_pairs, scores.true_pairs) == brute_force(items)


def test_over_merges_and_splits_are_counted() -> None:
    items = [("c1", "p1"), ("c1", "p1"), ("c1", "p2"), ("c2", "p2"), (None, "p3"), ("c3", "p3")]
    scores = pair_scores(items)
    assert scores.over_merged_customers == 1  # c1 holds p1 and p2
    assert scores.split_people == 1  # p2 is in c1 and c2; p3's unassigned id is apart
    assert scores.unassigned_identifiers == 1
    assert scores.people_with_unassigned == 1
    assert scores.precision == pytest.approx(1 / 3)
    assert scores.recall == pytest.approx(1 / 3)


def test_perfect_clustering_scores_one() -> None:
    scores = pair_scores([("a", "p1"), ("a", "p1"), ("b", "p2"), ("b", "p2")])
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)


def test_missing_and_quarantined_truth_identifiers_predict_no_pair() -> None:
    graph = {"email:a": ("c1", False), "phone:b": ("c1", True), "phone:s": (None, True)}
    truth = {"email:a": "p1", "phone:b": "p1", "cookie:c": "p1"}
    figures = accuracy(graph, truth, shared={"phone:s", "email:x"}, household_devices=set())
    assert figures.truth_identifiers_missing == 1
    assert figures.truth_identifiers_quarantined == 1
    assert figures.scores.predicted_pairs == 0
    assert figures.scores.true_pairs == 3
    assert (figures.shared_total, figures.shared_in_graph, figures.shared_quarantined) == (2, 1, 1)


def test_lookup_parameters_and_percentiles() -> None:
    assert lookup_params("account:web/u-1") == {"kind": "account", "value": "web/u-1"}
    assert lookup_params("phone:+14155550100") == {"kind": "phone", "value": "+14155550100"}
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert math.isnan(percentile([], 50))


def test_report_marks_each_target() -> None:
    results = {
        "args": {"quick": True},
        "lookups": {
            "p50_ms": 4.0,
            "p99_ms": 30.0,
            "max_ms": 40.0,
            "errors": 0,
            "requests": 10,
            "achieved_rate": 200.0,
            "target_rate": 200.0,
        },
    }
    status = {row.name: row.status for row in rows(results)}
    assert status["lookups.p50_ms"] == "PASS"
    assert status["lookups.p99_ms"] == "MISS"
    assert status["lookups.max_ms"] == "-"


def test_report_gives_the_ingest_as_a_share_of_the_same_runs_peer() -> None:
    phase = {"target_identifiers": 10, "background_identifiers": 10, "median_seconds": 1.0}
    results = {
        "args": {"quick": False},
        "ingest": {
            "records_per_s": 450.0,
            "records_ok": 10,
            "records": 10,
            "batch_errors": 0,
            "batches": 1,
            "identifiers": 20,
        },
        "incremental": {
            "ratio": 1.0,
            "phases": [
                {**phase, "background_records": 1_000, "load_seconds": 2.0},
                {**phase, "background_records": 90_000, "load_seconds": 60.0},
            ],
        },
    }
    by_name = {row.name: row for row in rows(results)}
    # the peer is the largest background's write rate: 90,000 records in 60 s
    assert by_name["incremental.bulk_records_per_s"].value == 1_500.0
    assert by_name["ingest.share_of_peer"].value == pytest.approx(0.3)
    assert by_name["ingest.share_of_peer"].shown == "0.30"
    del results["ingest"]
    assert "ingest.share_of_peer" not in {row.name for row in rows(results)}


@pytest.fixture(scope="module")
def population() -> background.Population:
    with Progress(disable=True) as progress:
        return background.build_population(600, 3, 150, Settings(), progress)


def test_fresh_batches_hold_whole_groups_of_unseen_people(
    population: background.Population,
) -> None:
    batches, used = background.pack_batches(population.groups[: population.raw_groups], [300, 50])
    assert all(0 < len(b) <= size for b, size in zip(batches, [300, 50], strict=True))
    fresh = population.groups[:used]
    assert sum(len(g.raw) for g in fresh) == sum(len(b) for b in batches)
    fresh_ids = {k for g in fresh for r in g.records for k in r.identifiers}
    rest_ids = {k for g in population.groups[used:] for r in g.records for k in r.identifiers}
    shared = {k for k in fresh_ids & rest_ids if not k.startswith(("cookie:", "account:"))}
    # Only the population's shared identifiers (support line, placeholder, cafes) overlap.
    assert fresh_ids & rest_ids == shared
    assert len(shared) <= 5


def test_background_model_agrees_with_the_engine_oracle(
    population: background.Population,
) -> None:
    records = [r for g in population.groups for r in g.records]
    config = engine_config(Settings())
    graph = background.model_graph(records, config)
    normalised = [
        NormalisedRecord(
            source=r.props["source"],
            record_id=r.props["record_id"],
            observed_at=r.observed_at,
            identifiers=tuple(
                Identifier(kind=k.split(":", 1)[0], value=k.split(":", 1)[1]) for k in r.identifiers
            ),
            attributes={
                k.removeprefix("attr_"): v for k, v in r.props.items() if k.startswith("attr_")
            },
            content_hash=r.props["content_hash"],
        )
        for r in records
    ]
    oracle = partition_records(normalised, config)
    customers: dict[str, set[str]] = {}
    for key, customer_id in graph.customer_of.items():
        customers.setdefault(customer_id, set()).add(key)
    assert {frozenset(m) for m in customers.values()} == oracle.groups()
    assert set(graph.shared_reason) == {k for k, shared in oracle.shared.items() if shared}
    assert len(graph.customers) == len(customers)
    assert all(0 < graph.membership[k] <= 1 for k in graph.customer_of)


def test_splink_blocks_over_the_cap_pair_nothing() -> None:
    """The bulk bench gives Splink idgraph's ``max_block``: a key shared by more records
    yields a null block key (no pairs), a key with a missing part too."""
    pandas = pytest.importorskip("pandas")
    from bench.bulk_splink import (
        ATTRIBUTE_COLUMNS,
        IDENTIFIER_COLUMNS,
        add_block_keys,
        block_column,
    )

    columns: dict[str, list[str | None]] = {
        name: [None] * 6 for name in (*IDENTIFIER_COLUMNS, *ATTRIBUTE_COLUMNS)
    }
    columns["email"] = ["family@x.test"] * 4 + ["a@x.test", "a@x.test"]
    columns["last_name"] = ["ng", "ng", "ng", None, "ng", "ng"]
    columns["postcode"] = ["2000"] * 6
    frame = pandas.DataFrame(columns)
    add_block_keys(frame, max_block=3)
    assert frame[block_column(("email",))].isna().tolist() == [True] * 4 + [False, False]
    assert frame[block_column(("last_name", "postcode"))].tolist()[3] is pandas.NA
    # five records named "ng" at 2000: over the cap of 3
    assert frame[block_column(("last_name", "postcode"))].isna().all()
    add_block_keys(frame, max_block=5)
    assert frame[block_column(("last_name", "postcode"))].tolist() == (
        ["ng|2000"] * 3 + [pandas.NA] + ["ng|2000"] * 2
    )


def test_a_record_is_the_person_most_of_its_identifiers_belong_to() -> None:
    """Identifiers are normalised as the engine does before the truth is asked; shared
    ones (not in the truth) and invalid ones do not vote; a tie goes to the smaller id;
    a record of shared identifiers only is no one's."""
    from bench.bulk_accuracy import record_people

    truth = {
        "email:ann@example.com": "P1",
        "phone:+14155550100": "P1",
        "cookie:ck-1": "P2",
        "cookie:ck-2": "P2",
        "email:bo@example.com": "P3",
    }

    def record(rid: str, *ids: tuple[str, str]) -> dict[str, object]:
        return {
            "source": "web",
            "record_id": rid,
            "identifiers": [{"kind": kind, "value": value} for kind, value in ids],
        }

    records = [
        record("1", ("email", "Ann@Example.COM"), ("cookie", "ck-1"), ("phone", "415 555 0100")),
        record("2", ("cookie", "ck-1"), ("cookie", "ck-2"), ("email", "ann@example.com")),
        record("3", ("email", "bo@example.com"), ("email", "ann@example.com")),
        record("4", ("email", "support@example.com"), ("phone", "not a phone")),
    ]
    assert record_people(records, truth) == {"web|1": "P1", "web|2": "P2", "web|3": "P1"}
