"""The Neo4j implementation of :class:`app.engine.ports.ResolutionUnit` (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from neo4j import ManagedTransaction

from app.engine.ports import (
    BlockLoss,
    BlockSize,
    CurrentMembers,
    CustomerMembers,
    CustomerOf,
    ExpandedCustomer,
    ExpandedMember,
    LinkSeen,
    NeighbourKinds,
    ObservingRecord,
    StatementRow,
    StoredModel,
    StoredRecord,
)
from app.store import catalog


def native(value: Any) -> Any:
    """Neo4j temporal values -> Python datetimes, recursively through lists and maps."""
    if hasattr(value, "to_native"):
        return value.to_native()
    if isinstance(value, list):
        return [native(v) for v in value]
    if isinstance(value, dict):
        return {k: native(v) for k, v in value.items()}
    return value


def _time(value: str) -> datetime:
    """A time the write path's queries return as ``toString(t)``. Hydrating Neo4j temporal
    values is pure Python and cost a fifth of the API's CPU during ingest; parsing the
    ISO string is done in C."""
    return datetime.fromisoformat(value)


def _optional_time(value: str | None) -> datetime | None:
    return None if value is None else _time(value)


class Neo4jUnit:
    """Runs the catalog's statements in one managed transaction."""

    def __init__(self, tx: ManagedTransaction) -> None:
        self.tx = tx

    def _run(self, name: str, **params: Any) -> list[Any]:
        return list(self.tx.run(catalog.query(f"queries/{name}"), **params))

    def _send(self, name: str, **params: Any) -> None:
        """Run a statement whose answer nobody reads, without waiting for it.

        Bolt pipelines a transaction's statements and Neo4j runs them in order, so the
        engine's Python work after a write (scoring, clustering, the next rows) overlaps
        Neo4j running it; the next statement or the commit takes its answer, and an
        error in it fails the transaction there as it would have here (nothing stored).
        """
        self.tx.run(catalog.query(f"queries/{name}"), **params)

    def fetch_records(self, keys: Sequence[str]) -> dict[str, StoredRecord]:
        rows = self._run("fetch_records", keys=list(keys))
        return {r["key"]: StoredRecord(r["content_hash"], list(r["identifiers"])) for r in rows}

    def delete_observations(self, record_keys: Sequence[str]) -> None:
        self._send("delete_observations", keys=list(record_keys))

    def upsert_records(self, rows: Sequence[dict[str, Any]]) -> None:
        self._send("upsert_records", rows=list(rows))

    def upsert_identifiers(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        result = self._run("upsert_identifiers", rows=list(rows))
        return set(result[0]["created"]) if result else set()

    def create_observations(self, rows: Sequence[dict[str, str]]) -> None:
        self._send("create_observations", rows=list(rows))

    def refresh_identifier_stats(self, keys: Sequence[str]) -> dict[str, int]:
        rows = self._run("refresh_identifier_stats", keys=list(keys))
        return {r["key"]: r["observations"] for r in rows}

    def fetch_links(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], LinkSeen]:
        rows = self._run("fetch_links", pairs=[list(p) for p in pairs])
        return {
            (r["a"], r["b"]): LinkSeen(
                list(r["records"]),
                _time(r["first_seen"]),
                _time(r["last_seen"]),
            )
            for r in rows
        }

    def record_times(self, keys: Sequence[str]) -> dict[str, datetime]:
        rows = self._run("record_times", keys=list(keys))
        return {r["key"]: _time(r["observed_at"]) for r in rows}

    def upsert_links(self, rows: Sequence[dict[str, Any]]) -> None:
        self._send("upsert_links", rows=list(rows))

    def delete_links(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._send("delete_links", pairs=[list(p) for p in pairs])

    def neighbour_kinds(self, keys: Sequence[str], min_degree: int) -> dict[str, NeighbourKinds]:
        rows = self._run("neighbour_kinds", keys=list(keys), min_degree=min_degree)
        return {
            r["key"]: NeighbourKinds(
                r["kind"], bool(r["shared"]), {k: n for k, n in r["counts"] if k}
            )
            for r in rows
        }

    def neighbours(self, keys: Sequence[str]) -> set[str]:
        return {r["key"] for r in self._run("neighbours", keys=list(keys))}

    def set_shared(self, rows: Sequence[dict[str, Any]]) -> None:
        self._send("set_shared", rows=list(rows))

    def delete_identifiers(self, keys: Sequence[str]) -> None:
        self._send("delete_identifiers", keys=list(keys))

    def customer_members(self, keys: Sequence[str]) -> dict[str, CustomerMembers]:
        rows = self._run("customer_members", keys=list(keys))
        return {
            r["customer_id"]: CustomerMembers(_time(r["created_at"]), set(r["members"]))
            for r in rows
        }

    def lock_customers_of(self, keys: Sequence[str]) -> None:
        self._run("lock_customers_of", keys=list(keys))

    def lock_customers(self, ids: Sequence[str]) -> None:
        self._run("lock_customers", ids=sorted(ids))

    def expand(
        self, keys: Sequence[str], threshold: float, read_customers: Sequence[str] | None = None
    ) -> list[tuple[str, bool, str | None, float | None, list[tuple[str, float]] | None]]:
        rows = self._run(
            "expand",
            keys=list(keys),
            threshold=threshold,
            read_customers=None if read_customers is None else list(read_customers),
        )
        return [
            (
                r["key"],
                bool(r["shared"]),
                r["customer_id"],
                r["membership"],
                None if r["links"] is None else [(b, p) for b, p in r["links"]],
            )
            for r in rows
        ]

    def expand_customers(
        self, ids: Sequence[str], threshold: float, lock: bool = True
    ) -> list[ExpandedCustomer]:
        statement = "expand_customers" if lock else "read_customers_expanded"
        rows = self._run(statement, ids=list(ids), threshold=threshold)
        return [
            ExpandedCustomer(
                r["customer_id"],
                _time(r["created_at"]),
                [
                    ExpandedMember(key, bool(shared), membership, [(b, p) for b, p in links])
                    for key, shared, membership, links in r["members"]
                ],
            )
            for r in rows
        ]

    def any_overrides(self) -> bool:
        return bool(self._run("any_overrides")[0]["n"])

    def overrides_of(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        return [native(r.data()) for r in self._run("overrides_of", keys=list(keys))]

    def create_override(self, row: dict[str, Any], now: str) -> None:
        self._run("create_override", now=now, **row)

    def delete_override(self, override_id: str) -> dict[str, Any] | None:
        rows = self._run("delete_override", override_id=override_id)
        return native(rows[0].data()) if rows else None

    def override_between(self, a: str, b: str) -> dict[str, Any] | None:
        rows = self._run("override_between", a=a, b=b) or self._run("override_between", a=b, b=a)
        return rows[0].data() if rows else None

    def identifier(self, key: str) -> dict[str, Any] | None:
        rows = self._run("lookup_identifier", key=key)
        return rows[0].data() if rows else None

    def link_evidence(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        rows = self._run("link_evidence", pairs=[list(p) for p in pairs])
        return [native(r.data()) for r in rows]

    def path(self, a: str, b: str, avoid_shared: bool) -> dict[str, Any] | None:
        name = "path_avoiding_shared" if avoid_shared else "path_any"
        rows = self._run(name, a=a, b=b)
        return rows[0].data() if rows else None

    def erasure_secret(self, candidate: str) -> str:
        return str(self._run("erasure_secret", candidate=candidate)[0]["value"])

    def records_observing(self, keys: Sequence[str]) -> list[ObservingRecord]:
        rows = self._run("records_observing", keys=list(keys))
        return [cast(ObservingRecord, native(r.data())) for r in rows]

    def records_by_key(self, keys: Sequence[str]) -> list[ObservingRecord]:
        rows = self._run("records_by_key", keys=list(keys))
        return [cast(ObservingRecord, native(r.data())) for r in rows]

    def expired_records(self, source: str, cutoff: str, after: str, limit: int) -> list[str]:
        rows = self._run(
            "retention_expired_records", source=source, cutoff=cutoff, after=after, limit=limit
        )
        return [r["key"] for r in rows]

    def expired_identifiers(self, kind: str, cutoff: str, after: str, limit: int) -> list[str]:
        rows = self._run(
            "retention_expired_identifiers", kind=kind, cutoff=cutoff, after=after, limit=limit
        )
        return [r["key"] for r in rows]

    def count_expired(self, source: str | None, kind: str | None, cutoff: str) -> int:
        if source is not None:
            rows = self._run("retention_count_records", source=source, cutoff=cutoff)
        else:
            rows = self._run("retention_count_identifiers", kind=kind, cutoff=cutoff)
        return int(rows[0]["n"])

    def delete_overrides_of(self, keys: Sequence[str]) -> None:
        self._run("delete_overrides_of", keys=list(keys))

    def delete_empty_records(self, keys: Sequence[str]) -> None:
        self._run("delete_empty_records", keys=list(keys))

    def scrub_text(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._run("scrub_text", pairs=[list(p) for p in pairs])

    def suppress(self, hashes: Sequence[str], now: str) -> None:
        self._run("suppress", hashes=list(hashes), now=now)

    def any_suppressed(self) -> bool:
        return bool(self._run("any_suppressed")[0]["n"])

    def suppressed_among(self, hashes: Sequence[str]) -> set[str]:
        return {r["hash"] for r in self._run("suppressed_among", hashes=list(hashes))}

    def customer_members_of(self, customer_id: str) -> CurrentMembers | None:
        rows = self._run("customer_members_of", customer_id=customer_id)
        return CurrentMembers(rows[0]["current_id"], list(rows[0]["members"])) if rows else None

    def clear_membership(self, keys: Sequence[str], now: str) -> None:
        self._send("clear_membership", keys=list(keys), now=now)

    def update_membership(self, rows: Sequence[dict[str, Any]]) -> None:
        self._send("update_membership", rows=list(rows))

    def upsert_customers(self, rows: Sequence[dict[str, Any]], now: str) -> None:
        self._send("upsert_customers", rows=list(rows), now=now)

    def assign_members(self, rows: Sequence[dict[str, Any]], now: str) -> None:
        self._send("assign_members", rows=list(rows), now=now)

    def retire_customers(self, rows: Sequence[dict[str, Any]], now: str) -> None:
        self._send("retire_customers", rows=list(rows), now=now)

    def create_events(self, rows: Sequence[dict[str, Any]], now: str) -> None:
        self._send("create_events", rows=list(rows), now=now)

    def customers_of(self, keys: Sequence[str]) -> dict[str, CustomerOf]:
        rows = self._run("customers_of", keys=list(keys))
        return {r["key"]: CustomerOf(r["customer_id"], r["confidence"]) for r in rows}

    # ------------------------------------------------------------------ similarity
    def add_block_memberships(self, rows: Sequence[dict[str, str]]) -> list[BlockSize]:
        return [
            BlockSize(r["block"], r["size"])
            for r in self._run("add_block_memberships", rows=list(rows))
        ]

    def remove_block_memberships(self, keys: Sequence[str]) -> list[BlockLoss]:
        rows = self._run("remove_block_memberships", keys=list(keys))
        return [BlockLoss(r["block"], r["size"], r["lost"]) for r in rows]

    def block_members(self, blocks: Sequence[str], max_block: int | None) -> dict[str, list[str]]:
        cap = max_block if max_block is not None else 2**62
        rows = self._run("block_members", blocks=list(blocks), max_block=cap)
        return {r["block"]: list(r["members"]) for r in rows}

    def match_profiles(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        return [
            {
                "key": r["key"],
                "observed_at": _time(r["observed_at"]),
                "attributes": {k: v for k, v in r["attributes"] if v},
                "identifiers": list(r["identifiers"]),
            }
            for r in self._run("match_profiles", keys=list(keys))
        ]

    def lock_identifiers(self, keys: Sequence[str]) -> None:
        self._run("lock_identifiers", keys=sorted(keys))

    def similar_of(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        return [_similar(r) for r in self._run("similar_of", keys=list(keys))]

    def upsert_similar(self, rows: Sequence[dict[str, Any]]) -> None:
        self._send("upsert_similar", rows=list(rows))

    def delete_similar(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._send("delete_similar", pairs=[list(p) for p in pairs])

    def active_model(self, known: str | None = None) -> StoredModel | None:
        rows = self._run("active_model", known=known)
        return cast(StoredModel, native(rows[0].data())) if rows else None

    def store_model(self, version: str, params: str, method: str, now: str, pairs: int) -> None:
        self._run(
            "store_model", version=version, params=params, method=method, now=now, pairs=pairs
        )

    def term_frequencies(self) -> list[tuple[str, int]]:
        return [(r["block"], int(r["size"])) for r in self._run("term_frequencies")]

    def record_keys_after(self, after: str, limit: int) -> list[str]:
        return [r["key"] for r in self._run("all_record_keys", after=after, limit=limit)]

    def count_records(self) -> int:
        return int(self._run("count_records")[0]["n"])

    def similar_between(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        rows = self._run("similar_between", pairs=[list(p) for p in pairs])
        return [_similar(r) for r in rows]

    def policy_attributes(
        self, keys: Sequence[str], fields: Sequence[str]
    ) -> list[tuple[str, str, str, str]]:
        rows = self._run("policy_attributes", keys=list(keys), fields=list(fields))
        return [
            (key, record, field, value)
            for record, observed, values in rows
            for field, value in values
            for key in observed
        ]

    def consent_statements(self, keys: Sequence[str]) -> list[StatementRow]:
        rows = self._run("consent_statements", keys=list(keys))
        return [cast(StatementRow, row.data()) for row in rows]

    def consent_state(self, ids: Sequence[str]) -> dict[str, dict[str, bool]]:
        rows = self._run("consent_state", ids=list(ids))
        return {
            r["id"]: {
                **dict.fromkeys(r["granted"] or [], True),
                **dict.fromkeys(r["withdrawn"] or [], False),
            }
            for r in rows
        }

    def set_consent_state(self, rows: Sequence[dict[str, Any]]) -> None:
        self._run("set_consent_state", rows=list(rows))


def _similar(row: Any) -> dict[str, Any]:
    data: dict[str, Any] = row.data()
    data["first_seen"] = _optional_time(data["first_seen"])
    data["last_seen"] = _optional_time(data["last_seen"])
    return data
