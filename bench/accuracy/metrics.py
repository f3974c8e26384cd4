"""Pure scoring of a matcher's output against the truth: no I/O, no database.

Pair counts come from the contingency table (cluster x true entity) with
``n * (n - 1) / 2`` per cell, row and column, never by enumerating pairs. B-cubed
averages, over records, the share of a record's cluster that shares its entity
(precision) and the share of its entity that shares its cluster (recall). Calibration
bins ``(probability, was_correct)`` predictions into equal-width bins; the expected
calibration error (ECE) is the count-weighted mean gap between the mean predicted
probability and the observed frequency of a bin.

Three counts say how a clustering goes wrong in a way a customer would notice: clusters
holding more than one true entity (*over-merged*), the largest cluster, and
*conflicting* clusters: those holding two records of different true entities that
differ in both first name and birth date (both present on both records), which no
reader of the customer's profile would take for one person.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class SideResult:
    """What one matcher produced on one data set."""

    name: str  # "idgraph" / "splink"
    clusters: dict[str, str]  # record key -> cluster id (every record of the data set)
    pair_probabilities: list[tuple[str, str, float]]  # scored candidate pairs (record keys)
    cluster_confidence: dict[str, float]  # cluster id -> confidence in [0, 1]
    seconds: float  # wall time of loading + matching + clustering
    notes: dict[str, Any] = field(default_factory=dict)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass
class ClusterScores:
    """Pairwise and B-cubed scores of a clustering against the truth."""

    records: int
    clusters: int
    entities: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    over_merged_clusters: int  # clusters holding records of more than one true entity
    largest_cluster: int  # records in the largest cluster (0 without records)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cluster_scores(clusters: Mapping[str, str], truth: Mapping[str, str]) -> ClusterScores:
    """Score ``clusters`` (record key -> cluster id) against ``truth`` (key -> entity).

    Args:
        clusters: the matcher's cluster per record; a record of ``truth`` missing here is
            a cluster of its own (it predicts no pair).
        truth: the true entity of every record; only these records are scored.

    Returns:
        Pairwise precision = correct / predicted pairs, recall = correct / true pairs
        (1.0 when a denominator is 0), and B-cubed precision / recall averaged over
        records, with their F1s; the over-merged clusters and the largest one.
    """
    cells: Counter[tuple[str, str]] = Counter()
    for key, entity in truth.items():
        cluster = clusters.get(key)
        # a record without a cluster is a singleton: a key no other record can share
        cells[(f"\x00{key}" if cluster is None else cluster, entity)] += 1
    cluster_sizes: Counter[str] = Counter()
    entity_sizes: Counter[str] = Counter()
    entities_per_cluster: Counter[str] = Counter()
    for (cluster, entity), n in cells.items():
        cluster_sizes[cluster] += n
        entity_sizes[entity] += n
        entities_per_cluster[cluster] += 1
    correct = sum(_pairs(n) for n in cells.values())
    predicted = sum(_pairs(n) for n in cluster_sizes.values())
    true = sum(_pairs(n) for n in entity_sizes.values())
    precision = correct / predicted if predicted else 1.0
    recall = correct / true if true else 1.0
    # B-cubed: each of the n records of a cell sees n of its cluster and n of its entity
    records = len(truth)
    b_precision = b_recall = 1.0
    if records:
        b_precision = sum(n * n / cluster_sizes[c] for (c, _), n in cells.items()) / records
        b_recall = sum(n * n / entity_sizes[e] for (_, e), n in cells.items()) / records
    return ClusterScores(
        records=records,
        clusters=len(cluster_sizes),
        entities=len(entity_sizes),
        true_pairs=true,
        predicted_pairs=predicted,
        correct_pairs=correct,
        pairwise_precision=precision,
        pairwise_recall=recall,
        pairwise_f1=_f1(precision, recall),
        bcubed_precision=b_precision,
        bcubed_recall=b_recall,
        bcubed_f1=_f1(b_precision, b_recall),
        over_merged_clusters=sum(1 for n in entities_per_cluster.values() if n > 1),
        largest_cluster=max(cluster_sizes.values(), default=0),
    )


def _agreeing_pairs(values: Iterable[Any]) -> int:
    return sum(_pairs(n) for n in Counter(values).values())


def conflicting_pairs(people: Iterable[tuple[str, str, str]]) -> int:
    """Pairs of ``(entity, first name, birth date)`` that differ in all three.

    By inclusion-exclusion over the pairs that agree on a field, so a cluster of
    thousands costs a few counters, not millions of pairs: disagreeing on all three =
    all pairs - agreeing on at least one.
    """
    rows = list(people)
    agree = (
        sum(_agreeing_pairs(row[i] for row in rows) for i in range(3))
        - sum(
            _agreeing_pairs((row[i], row[j]) for row in rows) for i, j in ((0, 1), (0, 2), (1, 2))
        )
        + _agreeing_pairs(rows)
    )
    return _pairs(len(rows)) - agree


def _normalised(value: str | None) -> str:
    return " ".join((value or "").split()).lower()


@dataclass
class Conflicts:
    """Clusters that put two evidently different people together."""

    conflicting_clusters: int  # clusters with at least one conflicting pair
    conflicting_pairs: int  # such pairs over all clusters

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def conflicts(
    clusters: Mapping[str, str],
    truth: Mapping[str, str],
    people: Mapping[str, tuple[str | None, str | None]],
) -> Conflicts:
    """Count the clusters holding two records of different true entities whose first
    names differ and whose birth dates differ.

    Args:
        clusters: record key -> cluster id; records missing here are singletons.
        truth: record key -> true entity; only these records are looked at.
        people: record key -> ``(first name, birth date)``, either ``None`` when absent.
            Values are compared stripped, whitespace-collapsed and lower-cased; a record
            missing either field takes no part.
    """
    members: defaultdict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for key, entity in truth.items():
        first, birth = (_normalised(v) for v in people.get(key, (None, None)))
        cluster = clusters.get(key)
        if cluster is not None and first and birth:
            members[cluster].append((entity, first, birth))
    per_cluster = [
        conflicting_pairs(rows)
        for rows in members.values()
        if len({entity for entity, _, _ in rows}) > 1
    ]
    return Conflicts(
        conflicting_clusters=sum(1 for n in per_cluster if n),
        conflicting_pairs=sum(per_cluster),
    )


@dataclass
class ReliabilityBin:
    """One equal-width probability bin of a reliability table."""

    lower: float
    upper: float
    count: int
    mean_predicted: float | None  # None when the bin is empty
    observed_frequency: float | None


@dataclass
class Calibration:
    """A reliability table and its expected calibration error."""

    predictions: int
    ece: float | None  # None when there is no prediction
    bins: list[ReliabilityBin]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def calibration(predictions: Iterable[tuple[float, bool]], bins: int = 10) -> Calibration:
    """Reliability table and ECE of ``(probability, was_correct)`` predictions.

    Bin ``b`` of ``bins`` holds probabilities in ``[b/bins, (b+1)/bins)``, the last one
    also 1.0. ECE = sum over bins of ``count_b / N * |mean_predicted_b - frequency_b|``.
    """
    counts = [0] * bins
    sums = [0.0] * bins
    hits = [0] * bins
    for probability, correct in predictions:
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability {probability!r} is outside [0, 1]")
        b = min(int(probability * bins), bins - 1)
        counts[b] += 1
        sums[b] += probability
        hits[b] += bool(correct)
    total = sum(counts)
    table = [
        ReliabilityBin(
            lower=b / bins,
            upper=(b + 1) / bins,
            count=counts[b],
            mean_predicted=sums[b] / counts[b] if counts[b] else None,
            observed_frequency=hits[b] / counts[b] if counts[b] else None,
        )
        for b in range(bins)
    ]
    ece = None
    if total:
        ece = sum(abs(sums[b] - hits[b]) / total for b in range(bins) if counts[b])
    return Calibration(predictions=total, ece=ece, bins=table)


def link_predictions(
    pair_probabilities: Iterable[tuple[str, str, float]], truth: Mapping[str, str]
) -> list[tuple[float, bool]]:
    """``(match probability, same true entity)`` for every scored pair of truth records."""
    return [
        (probability, truth[a] == truth[b])
        for a, b, probability in pair_probabilities
        if a in truth and b in truth
    ]


def customer_predictions(
    clusters: Mapping[str, str],
    confidence: Mapping[str, float],
    truth: Mapping[str, str],
) -> list[tuple[float, bool]]:
    """``(confidence, pure)`` per cluster of two or more truth records with a confidence.

    A cluster is *pure* when all its records belong to one true entity.
    """
    entities: dict[str, set[str]] = {}
    sizes: Counter[str] = Counter()
    for key, cluster in clusters.items():
        if key in truth:
            entities.setdefault(cluster, set()).add(truth[key])
            sizes[cluster] += 1
    return [
        (confidence[cluster], len(entities[cluster]) == 1)
        for cluster, n in sizes.items()
        if n >= 2 and cluster in confidence
    ]


@dataclass
class SideScores:
    """Everything measured for one matcher on one data set."""

    name: str
    seconds: float
    scores: ClusterScores
    conflicts: Conflicts | None  # None when the people's fields were not given
    link_calibration: Calibration
    customer_calibration: Calibration
    notes: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_side(
    result: SideResult,
    truth: Mapping[str, str],
    bins: int = 10,
    people: Mapping[str, tuple[str | None, str | None]] | None = None,
) -> SideScores:
    """Clustering scores, conflicts (given ``people``, see :func:`conflicts`) and both
    calibrations of one matcher's result."""
    return SideScores(
        name=result.name,
        seconds=result.seconds,
        scores=cluster_scores(result.clusters, truth),
        conflicts=None if people is None else conflicts(result.clusters, truth, people),
        link_calibration=calibration(link_predictions(result.pair_probabilities, truth), bins),
        customer_calibration=calibration(
            customer_predictions(result.clusters, result.cluster_confidence, truth), bins
        ),
        notes=result.notes,
    )
