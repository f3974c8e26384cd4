"""Evidence: records, identifiers and observations written; co-observation links rescored.

A record observes identifiers; every pair it observes together gets the record as
evidence on its ``LINKED`` link, and the link's match probability is recomputed from all
its records (:mod:`app.engine.scoring`). Replacing a record takes its old evidence away.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from app.engine.ports import LinkUnit, RecordUnit
from app.engine.resolution.config import Pair, kind_of
from app.engine.scoring import (
    CO_OBSERVED,
    ScoringConfig,
    match_weight,
    source_counts,
    source_probability,
)
from graph_models.records import NormalisedRecord


class EvidenceUnit(RecordUnit, LinkUnit, Protocol):
    """The reads and writes of evidence (records and links) in one transaction."""


def record_properties(record: NormalisedRecord) -> dict[str, Any]:
    """A record's node properties (attributes stored as ``attr_<field>``)."""
    props: dict[str, Any] = {
        "source": record.source,
        "record_id": record.record_id,
        "observed_at": record.observed_at.isoformat(),
        "content_hash": record.content_hash,
    }
    props.update({f"attr_{k}": v for k, v in record.attributes.items()})
    if record.consent:  # parallel lists: Neo4j properties hold no maps
        props["consent_purposes"] = [s.purpose for s in record.consent]
        props["consent_granted"] = [s.granted for s in record.consent]
        props["consent_at"] = [s.at.isoformat() for s in record.consent if s.at]
    return props


def write_records(unit: RecordUnit, to_write: Sequence[NormalisedRecord]) -> set[str]:
    """Write records, identifiers and observations; return identifiers created."""
    record_rows = []
    stats: dict[str, dict[str, Any]] = {}
    # earliest and latest observation per identifier, compared as datetimes
    span: dict[str, tuple[datetime, datetime]] = {}
    observations = []
    for record in to_write:
        record_rows.append({"key": record.key, "props": record_properties(record)})
        observed = record.observed_at
        at = observed.isoformat()
        for ident in record.identifiers:
            key = ident.key
            row = stats.get(key)
            if row is None:
                stats[key] = {
                    "key": key,
                    "kind": ident.kind,
                    "value": ident.value,
                    "first": at,
                    "last": at,
                    "sources": [record.source],
                    "count": 1,
                }
                span[key] = (observed, observed)
            else:
                first, last = span[key]
                if observed < first:
                    first, row["first"] = observed, at
                if observed > last:
                    last, row["last"] = observed, at
                span[key] = (first, last)
                if record.source not in row["sources"]:
                    row["sources"].append(record.source)
                row["count"] += 1
            observations.append({"record": record.key, "identifier": key})
    unit.upsert_records(record_rows)
    created = unit.upsert_identifiers(list(stats.values()))
    if observations:
        unit.create_observations(observations)
    return created


def write_links(
    unit: EvidenceUnit,
    scoring: ScoringConfig,
    touched: list[Pair],
    added: dict[Pair, set[str]],
    removed: dict[Pair, set[str]],
    times: dict[str, datetime],
    created: set[str],
) -> dict[Pair, float]:
    """Write the new evidence of touched links; return their new probabilities."""
    if not touched:
        return {}
    # A link with an end created in this batch cannot exist yet.
    current = unit.fetch_links([p for p in touched if p[0] not in created and p[1] not in created])
    need_times = {
        rk for pair in touched if pair in removed for rk in current.get(pair, ([],))[0]
    } - set(times)
    if need_times:
        times.update(unit.record_times(sorted(need_times)))
    upserts: list[dict[str, Any]] = []
    deletes: list[Pair] = []
    for pair in touched:
        old_records, first, last = current.get(pair, ([], None, None))
        records = (set(old_records) - removed.get(pair, set())) | added.get(pair, set())
        if not records:
            if pair in current:
                deletes.append(pair)
            continue
        if pair in removed or first is None or last is None:
            stamps = [times[r] for r in records if r in times]
            first, last = min(stamps), max(stamps)
        else:
            stamps = [times[r] for r in added.get(pair, ())]
            first, last = min([first, *stamps]), max([last, *stamps])
        per_source = source_counts(records)
        p = source_probability(kind_of(pair[0]), kind_of(pair[1]), per_source, scoring)
        upserts.append(
            {
                "a": pair[0],
                "b": pair[1],
                "rule": CO_OBSERVED,
                "records": sorted(records),
                "sources": sorted(per_source),
                "first": first.isoformat(),
                "last": last.isoformat(),
                "p": p,
                "w": match_weight(p),
            }
        )
    if deletes:
        unit.delete_links(deletes)
    if upserts:
        unit.upsert_links(upserts)
    return {(row["a"], row["b"]): row["p"] for row in upserts}
