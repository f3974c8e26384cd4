"""How well the bulk bench's two clusterings of the same records match who wrote them.

Splink clusters records; idgraph clusters identifiers into customers, and a record belongs
to the customer its identifiers belong to. Both are scored record by record against the
generator's truth with :func:`bench.accuracy.metrics.cluster_scores` (pairwise and B-cubed
precision and recall), so a speed figure is never read without what it bought.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from neo4j import Driver

from app.core.errors import InvalidIdentifierError
from app.engine.normalize import Normaliser


def record_key(source: str, record_id: str) -> str:
    """The key both sides give a record (a re-sent record is the same record)."""
    return f"{source}|{record_id}"


def record_people(records: Iterable[Mapping[str, Any]], truth: Mapping[str, str]) -> dict[str, str]:
    """Record key -> the person most of its identifiers belong to.

    Args:
        records: the generator's records (the JSON shape ``POST /v1/records`` takes).
        truth: normalised identifier key -> person (the generator's; shared identifiers
            and household devices are not in it).

    Returns:
        Every record with at least one identifier of ``truth``; a record that only
        observed shared identifiers is no one's in particular and is left out.
    """
    normaliser = Normaliser()
    people: dict[str, str] = {}
    for record in records:
        votes: Counter[str] = Counter()
        for identifier in record.get("identifiers", []):
            try:
                key = normaliser.identifier(
                    identifier["kind"], identifier["value"], record["source"]
                ).key
            except InvalidIdentifierError:
                continue
            if key in truth:
                votes[truth[key]] += 1
        if votes:
            people[record_key(record["source"], record["record_id"])] = min(
                votes, key=lambda person: (-votes[person], person)
            )
    return people


#: Each record's customer: the one most of its identifiers belong to (ties: the smallest
#: customer id), streamed record by record.
_RECORD_CUSTOMERS = """
MATCH (r:Record)
CALL (r) {
  MATCH (r)-[:OBSERVED]->(:Identifier)-[:BELONGS_TO]->(c:Customer)
  WITH c.customer_id AS customer, count(*) AS n
  ORDER BY n DESC, customer
  LIMIT 1
  RETURN customer
}
RETURN r.source AS source, r.record_id AS record_id, customer
"""


def record_customers(driver: Driver, database: str) -> dict[str, str]:
    """Record key -> its customer in the graph (records with no customer are left out)."""
    with driver.session(database=database) as session:
        return {
            record_key(row["source"], row["record_id"]): row["customer"]
            for row in session.run(_RECORD_CUSTOMERS)
        }
