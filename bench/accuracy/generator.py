"""Accuracy against the generator's ground truth: pairwise precision, recall and F1.

The unit is the identifier. Two identifiers of ``truth`` form a *true pair* when they
belong to the same person and a *predicted pair* when the graph puts them in the same
customer. Pair counts come from the contingency table (customer x person) with
``n * (n - 1) / 2`` per cell, row and column, never by enumerating pairs, so 2M
identifiers cost a pass over them.

An identifier of ``truth`` with no customer in the graph (missing, quarantined as shared,
or unassigned) is a cluster of its own: it predicts no pair, and so costs recall.
Shared identifiers and household devices are not in ``truth`` and are left out; the
step reports separately how many of the generator's shared identifiers were quarantined.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from neo4j import Driver

from app.store.graph_store import GraphStore


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


@dataclass
class PairScores:
    """Pairwise scores of a clustering against the truth."""

    identifiers: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float
    customers: int
    people: int
    over_merged_customers: int
    split_people: int
    unassigned_identifiers: int
    people_with_unassigned: int


def pair_scores(assignment: Iterable[tuple[str | None, str]]) -> PairScores:
    """Score ``(customer_id or None, person)`` per truth identifier.

    Args:
        assignment: one pair per identifier of the truth; ``None`` when the graph gives
            it no customer.

    Returns:
        Precision = correct / predicted pairs, recall = correct / true pairs (1.0 when
        the denominator is 0), F1, and the counts behind them. ``over_merged_customers``
        holds identifiers of more than one person; ``split_people`` have their assigned
        identifiers in more than one customer (unassigned ones are counted apart).
    """
    cells: Counter[tuple[str, str]] = Counter()
    person_sizes: Counter[str] = Counter()
    unassigned: Counter[str] = Counter()
    for customer_id, person in assignment:
        person_sizes[person] += 1
        if customer_id is None:
            unassigned[person] += 1
        else:
            cells[(customer_id, person)] += 1
    customer_sizes: Counter[str] = Counter()
    people_of: dict[str, set[str]] = defaultdict(set)
    customers_of: dict[str, set[str]] = defaultdict(set)
    for (customer_id, person), n in cells.items():
        customer_sizes[customer_id] += n
        people_of[customer_id].add(person)
        customers_of[person].add(customer_id)
    correct = sum(_pairs(n) for n in cells.values())
    predicted = sum(_pairs(n) for n in customer_sizes.values())
    true = sum(_pairs(n) for n in person_sizes.values())
    precision = correct / predicted if predicted else 1.0
    recall = correct / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairScores(
        identifiers=sum(person_sizes.values()),
        true_pairs=true,
        predicted_pairs=predicted,
        correct_pairs=correct,
        precision=precision,
        recall=recall,
        f1=f1,
        customers=len(customer_sizes),
        people=len(person_sizes),
        over_merged_customers=sum(1 for people in people_of.values() if len(people) > 1),
        split_people=sum(1 for customers in customers_of.values() if len(customers) > 1),
        unassigned_identifiers=sum(unassigned.values()),
        people_with_unassigned=len(unassigned),
    )


@dataclass
class AccuracyFigures:
    """What the accuracy step measured."""

    scores: PairScores
    truth_identifiers_missing: int
    truth_identifiers_quarantined: int
    shared_total: int
    shared_in_graph: int
    shared_quarantined: int
    household_devices: int
    household_devices_quarantined: int
    graph_identifiers: int

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self.scores), **{k: v for k, v in asdict(self).items() if k != "scores"}}


def read_identifiers(driver: Driver, database: str) -> dict[str, tuple[str | None, bool]]:
    """Every identifier's ``(customer_id, shared)``, by key."""
    return {
        row["key"]: (row["customer_id"], bool(row["shared"]))
        for row in GraphStore(driver, database).iter_identifiers()
    }


def accuracy(
    graph: Mapping[str, tuple[str | None, bool]],
    truth: Mapping[str, str],
    shared: Iterable[str],
    household_devices: Iterable[str],
) -> AccuracyFigures:
    """Compare the graph's identifiers (``key -> (customer_id, shared)``) to the truth."""
    missing = quarantined = 0
    assignment: list[tuple[str | None, str]] = []
    for key, person in truth.items():
        customer_id, is_shared = graph.get(key, (None, False))
        if key not in graph:
            missing += 1
        elif is_shared:
            quarantined += 1
            customer_id = None
        assignment.append((customer_id, person))
    shared_keys = set(shared)
    household = set(household_devices)
    return AccuracyFigures(
        scores=pair_scores(assignment),
        truth_identifiers_missing=missing,
        truth_identifiers_quarantined=quarantined,
        shared_total=len(shared_keys),
        shared_in_graph=sum(1 for k in shared_keys if k in graph),
        shared_quarantined=sum(1 for k in shared_keys if graph.get(k, (None, False))[1]),
        household_devices=len(household),
        household_devices_quarantined=sum(1 for k in household if graph.get(k, (None, False))[1]),
        graph_identifiers=len(graph),
    )
