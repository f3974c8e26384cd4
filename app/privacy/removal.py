"""Taking personal data out of the graph: the one code path of erasure and retention.

Erasure removes identifiers from every record that observed them (and the records'
attributes with them); retention also deletes whole records. Either way the records are
re-ingested as what is left of them, so the resolver drops their observations, links and
look-alike evidence, deletes identifiers no record observes any more and re-evaluates the
customers, in the caller's transaction; then records left with nothing are deleted and
the keys of every identifier that went are replaced by keyed hashes in history reasons.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from app.engine.core import Engine
from app.engine.normalize import content_hash
from app.engine.ports import ObservingRecord, ResolutionUnit
from app.privacy.suppression import keyed_hash
from graph_models.customers import Change
from graph_models.identifiers import Identifier
from graph_models.records import NormalisedRecord


@dataclass
class Removal:
    """What one removal did (no personal values: keys only, to be hashed by the caller).

    Attributes:
        identifiers_gone: identifier keys no longer in the graph (removed, or left with no
            record observing them).
        records_scrubbed: records that stay, with fewer identifiers.
        records_deleted: records deleted (nothing left, or deleted whole).
        customers_before: the customers of the identifiers concerned, before.
        record_customers: record key -> the customers its identifiers belonged to, before.
        changes: the merges, splits and retirements the re-evaluation made, reasons scrubbed.
    """

    identifiers_gone: set[str] = field(default_factory=set)
    records_scrubbed: list[str] = field(default_factory=list)
    records_deleted: list[str] = field(default_factory=list)
    customers_before: dict[str, str] = field(default_factory=dict)
    record_customers: dict[str, set[str]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)


def remove(
    unit: ResolutionUnit,
    engine: Engine,
    secret: bytes,
    now: datetime,
    identifiers: Iterable[str] = (),
    records: Iterable[str] = (),
    keep_attributes: bool = False,
) -> Removal:
    """Remove ``identifiers`` from every record observing them and delete ``records`` whole.

    Args:
        unit: the open write transaction.
        engine: the resolver and the match model re-evaluating what remains.
        secret: the keyed-hash key that replaces removed identifier keys in history.
        now: the time stamped on customers and events.
        identifiers: identifier keys to remove.
        records: record keys to delete with everything they observed.
        keep_attributes: records that keep an identifier keep their attributes (retention
            of one identifier kind); False: they lose them (erasure of a person).

    Returns:
        What went; the caller writes its own history event (erasure, retention).
    """
    erased, whole = set(identifiers), set(records)
    rows: dict[str, ObservingRecord] = {}
    for row in [*unit.records_observing(sorted(erased)), *unit.records_by_key(sorted(whole))]:
        rows[row["key"]] = row
    candidates = erased | {i["key"] for row in rows.values() for i in row["identifiers"]}
    removal = Removal(
        customers_before={k: c for k, (c, _) in unit.customers_of(sorted(candidates)).items() if c}
    )
    removal.record_customers = {
        key: {
            removal.customers_before[i["key"]]
            for i in row["identifiers"]
            if i["key"] in removal.customers_before
        }
        for key, row in rows.items()
    }
    unit.delete_overrides_of(sorted(erased))
    scrubbed = [
        _what_is_left(row, erased, row["key"] in whole, keep_attributes) for row in rows.values()
    ]
    results = (
        engine.resolver.ingest(unit, scrubbed, now, engine.match_model(unit)) if scrubbed else []
    )
    removal.records_deleted = sorted(r.key for r in scrubbed if not r.identifiers)
    removal.records_scrubbed = sorted(r.key for r in scrubbed if r.identifiers)
    if removal.records_deleted:
        unit.delete_empty_records(removal.records_deleted)
    remaining = unit.customers_of(sorted(candidates))
    removal.identifiers_gone = {k for k in candidates if k not in remaining}
    hashes = {k: f"[erased {keyed_hash(secret, k)[:16]}]" for k in removal.identifiers_gone}
    unit.scrub_text(sorted(hashes.items()))
    changes = {c.model_dump_json(): c for r in results for c in r.changes}
    for change in changes.values():
        for key, replacement in hashes.items():
            change.reason = change.reason.replace(key, replacement)
    removal.changes = list(changes.values())
    return removal


def _what_is_left(
    row: ObservingRecord, erased: set[str], whole: bool, keep_attributes: bool
) -> NormalisedRecord:
    remaining = (
        ()
        if whole
        else tuple(
            Identifier(kind=i["kind"], value=i["value"])
            for i in sorted(row["identifiers"], key=lambda i: i["key"])
            if i["key"] not in erased
        )
    )
    attributes = dict(row["attributes"]) if keep_attributes and remaining else {}
    observed = row["observed_at"].isoformat()
    return NormalisedRecord(
        source=row["source"],
        record_id=row["record_id"],
        observed_at=row["observed_at"],
        identifiers=remaining,
        attributes=attributes,
        content_hash=content_hash(observed, remaining, attributes),
    )
