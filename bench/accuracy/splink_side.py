"""Splink (DuckDB backend) on a benchmark data set, with a standard model for its columns.

Unsupervised, like idgraph: the truth is never shown to it. The prior
(``probability_two_random_records_match``) comes from deterministic rules with a recall
guess, the ``u`` probabilities from random sampling (seeded), the ``m`` probabilities from
two EM sessions; then every pair the prediction blocking rules admit is scored and the
pairs at or above 0.5 are clustered (connected components).

Two models, chosen by the data set's name: :func:`febrl_model` (Splink's own Febrl
examples: EM blocked on date of birth and on postcode) and :func:`realistic_model` for
``realistic`` (EM blocked on birth date and on first + last name: its postcode is the
same for nearly everyone, so it is never a block on its own).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from bench.accuracy.febrl import Dataset
from bench.accuracy.metrics import SideResult, cluster_scores

#: Threshold on ``match_probability`` for clustering.
THRESHOLD = 0.5
#: Other thresholds Splink's predictions are also clustered at, to report what Splink
#: would score had its user picked the best one in hindsight (the truth chooses it, so
#: it is a ceiling for this configuration, not a result a user gets).
SWEEP = (0.9, 0.99, 0.999, 0.9999)
#: Seed of ``estimate_u_using_random_sampling``.
SEED = 42
#: Pairs sampled to estimate ``u``.
U_MAX_PAIRS = 5e6
#: Recall guessed for the deterministic rules that estimate the prior.
DETERMINISTIC_RECALL = 0.8


@dataclass
class SplinkModel:
    """What Splink is told for one data set: settings and the rules training uses."""

    settings: Any  # splink.SettingsCreator
    deterministic_rules: list[Any]  # estimate the prior (with DETERMINISTIC_RECALL)
    training_rules: list[Any]  # one EM session each
    link_type: str


def febrl_model(link_type: str) -> SplinkModel:
    """The model of Splink's Febrl examples, on the Febrl columns."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    settings = SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        source_dataset_column_name="source_dataset",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("postcode", [1, 2]),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.8]),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "substr(given_name, 1, 1)"),
            block_on("street_number", "address_1"),
            block_on("state", "address_1"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    return SplinkModel(
        settings=settings,
        deterministic_rules=[
            block_on("soc_sec_id", "date_of_birth"),
            block_on("given_name", "surname", "date_of_birth"),
        ],
        training_rules=[block_on("date_of_birth"), block_on("postcode")],
        link_type=link_type,
    )


def realistic_model() -> SplinkModel:
    """A standard model on the ``realistic`` columns (idgraph's attribute names).

    ``dedupe_only`` over all sources together: a source can hold one person twice (a W2
    per job, a duplicated census row), so the sources are not linked pairwise only.
    """
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        source_dataset_column_name="source_dataset",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "birth_date",
                input_is_string=True,
                datetime_format="%Y-%m-%d",
                invalid_dates_as_null=True,
            ),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.8]),
            cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("national_id", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            "l.first_name = r.last_name and l.last_name = r.first_name",
            block_on("birth_date"),
            block_on("national_id"),
            block_on("postcode", "street_number", "address_1"),
            block_on("last_name", "street_number"),
            block_on("address_1", "substr(first_name, 1, 1)"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    return SplinkModel(
        settings=settings,
        deterministic_rules=[
            block_on("first_name", "last_name", "birth_date"),
            block_on("national_id", "last_name"),
            block_on("first_name", "last_name", "street_number", "address_1"),
        ],
        training_rules=[block_on("birth_date"), block_on("first_name", "last_name")],
        link_type="dedupe_only",
    )


def model_for(dataset: Dataset) -> SplinkModel:
    """``realistic_model`` for ``realistic``; for Febrl, ``link_only`` when it has two
    files (febrl4: 4a against 4b, no pairs within a file), else ``dedupe_only``."""
    if dataset.name == "realistic":
        return realistic_model()
    link = dataset.frame["source_dataset"].nunique() > 1
    return febrl_model("link_only" if link else "dedupe_only")


def run_splink(dataset: Dataset) -> SideResult:
    """Train, predict and cluster with Splink (:func:`model_for`); every record gets a
    cluster."""
    from splink import DuckDBAPI, Linker

    started = time.perf_counter()
    model = model_for(dataset)
    link_type = model.link_type
    link = link_type != "dedupe_only"
    db_api = DuckDBAPI()
    if link:
        inputs = [
            db_api.register(frame.reset_index(drop=True), dataset_display_name=str(source))
            for source, frame in dataset.frame.groupby("source_dataset", sort=True)
        ]
    else:
        inputs = [db_api.register(dataset.frame, dataset_display_name=dataset.name)]
    linker = Linker(inputs if link else inputs[0], model.settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        model.deterministic_rules, recall=DETERMINISTIC_RECALL
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=SEED)
    for rule in model.training_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict()
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD
    )
    pairs_frame = predictions.as_pandas_dataframe()
    clusters_frame = clustered.as_pandas_dataframe()
    seconds = time.perf_counter() - started
    sweep = {str(threshold): _swept(linker, predictions, threshold, dataset) for threshold in SWEEP}

    pair_probabilities = [
        (str(a), str(b), min(1.0, max(0.0, float(p))))
        for a, b, p in zip(
            pairs_frame["unique_id_l"],
            pairs_frame["unique_id_r"],
            pairs_frame["match_probability"],
            strict=True,
        )
    ]
    clusters = {
        str(k): str(c)
        for k, c in zip(clusters_frame["unique_id"], clusters_frame["cluster_id"], strict=True)
    }
    for key in dataset.truth:  # a record Splink left out is a singleton
        clusters.setdefault(key, f"singleton:{key}")
    trained = linker.misc.save_model_to_json()
    return SideResult(
        name="splink",
        clusters=clusters,
        pair_probabilities=pair_probabilities,
        cluster_confidence={},
        seconds=seconds,
        notes={
            "splink_version": _splink_version(),
            "link_type": link_type,
            "threshold_match_probability": THRESHOLD,
            "scored_pairs": len(pair_probabilities),
            "pairs_at_threshold": sum(1 for *_, p in pair_probabilities if p >= THRESHOLD),
            "probability_two_random_records_match": trained.get(
                "probability_two_random_records_match"
            ),
            "blocking_rules": [
                rule["blocking_rule"] for rule in trained["blocking_rules_to_generate_predictions"]
            ],
            "m_u": _m_u(trained),
            "threshold_sweep": sweep,
        },
    )


def _swept(linker: Any, predictions: Any, threshold: float, dataset: Dataset) -> dict[str, Any]:
    """Pairwise scores and the largest cluster with the same predictions clustered at
    ``threshold`` (not timed: it is a look at the peer, not part of its run)."""
    frame = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    ).as_pandas_dataframe()
    clusters = {
        str(k): str(c) for k, c in zip(frame["unique_id"], frame["cluster_id"], strict=True)
    }
    for key in dataset.truth:
        clusters.setdefault(key, f"singleton:{key}")
    scores = cluster_scores(clusters, dataset.truth)
    return {
        "pairwise_precision": scores.pairwise_precision,
        "pairwise_recall": scores.pairwise_recall,
        "pairwise_f1": scores.pairwise_f1,
        "largest_cluster": scores.largest_cluster,
        "over_merged_clusters": scores.over_merged_clusters,
    }


def _m_u(model: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The trained model in short: ``comparison -> [{level, m, u}]`` (null levels left out)."""
    return {
        comparison["output_column_name"]: [
            {
                "level": level["label_for_charts"],
                "m": level.get("m_probability"),
                "u": level.get("u_probability"),
            }
            for level in comparison["comparison_levels"]
            if not level.get("is_null_level")
        ]
        for comparison in model["comparisons"]
    }


def _splink_version() -> str:
    from importlib.metadata import version

    return version("splink")
