"""The bulk graph as CSV files for ``neo4j-admin database import full``.

Each file has a header naming its properties with their types (``first_seen:datetime``,
``sources:string[]``), nodes an ``:ID(<group>)`` column, relationships ``:START_ID`` and
``:END_ID`` in the groups of their ends. The properties are exactly those the engine's
statements write (``cypher/queries/upsert_records``, ``upsert_identifiers``,
``create_observations``, ``upsert_links``, ``upsert_similar``, ``add_block_memberships``,
``set_shared``, ``upsert_customers``, ``assign_members``, ``create_events``,
``set_consent_state``), so the live path continues on the imported graph as if it had
written it. A record's consent statements are the typed lists ``consent_purposes:string[]``,
``consent_granted:boolean[]`` and ``consent_at:datetime[]`` (the importer reads a boolean
as true only from the exact text ``true``).

An empty field is no property (the importer's rule), which is how absent values (a
record without an attribute or statements, an identifier that is not shared) are written.
The one empty list the engine writes (``before`` of a ``created`` or a new customer's
``consent`` event) cannot be expressed that way; :mod:`app.bulk.service` sets it after the
import.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.bulk.graph import BulkGraph
from app.bulk.parallel import fork_map
from app.engine.resolution.evidence import record_properties
from app.engine.resolution.ids import new_event_id
from app.engine.scoring import CO_OBSERVED, match_weight, source_of
from app.engine.similarity import SIMILARITY_RULE, split_pair_key
from graph_models.identifiers import split_identifier_key

#: Separates the elements of a list property (passed to the importer as ``U+001F``);
#: no value the engine writes holds this control character.
ARRAY_DELIMITER = "\x1f"
#: The importer's option naming :data:`ARRAY_DELIMITER`.
ARRAY_DELIMITER_OPTION = "U+001F"
#: The change feed's counter (cypher/queries/create_events.cypher).
FEED_SEQUENCE = "customer-events"


@dataclass(frozen=True)
class ImportFile:
    """One CSV file and what it holds: ``Label`` nodes or ``TYPE`` relationships."""

    path: Path
    kind: str  # "nodes" | "relationships"
    name: str
    rows: int
    #: Some value holds a line break (the importer must then parse the file slowly).
    multiline: bool = False

    def option(self) -> str:
        """The importer's argument for this file, e.g. ``--nodes=Record=/w/records.csv``."""
        return f"--{self.kind}={self.name}={self.path}"


class UnwritableValueError(ValueError):
    """A value holds the array delimiter (a control character no normalised value has)."""


def _array(values: Iterable[Any]) -> str:
    items = [v if v.__class__ is str else _value(v) for v in values]
    for item in items:
        if ARRAY_DELIMITER in item:
            raise UnwritableValueError("a list element holds the U+001F control character")
    return ARRAY_DELIMITER.join(items)


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # round-trips exactly
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


Rows = Callable[[], Iterator[Sequence[Any]]]


def _write(path: Path, header: Sequence[str], rows: Iterator[Sequence[Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            # most cells are strings already: no call for them
            writer.writerow([v if v.__class__ is str else _value(v) for v in row])
            count += 1
    return count


def _line_breaks(path: Path) -> int:
    """Line breaks (``\\n`` or ``\\r``) in a file: one per row, unless a value holds one."""
    breaks = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            breaks += chunk.count(b"\n") + chunk.count(b"\r")
    return breaks


class _Times:
    """ISO texts of the data set's few distinct datetimes, each formatted once (records
    share their ``observed_at`` with their observations, links and identifiers)."""

    def __init__(self) -> None:
        self.texts: dict[datetime, str] = {}

    def __call__(self, at: datetime) -> str:
        text = self.texts.get(at)
        if text is None:
            text = self.texts[at] = at.isoformat()
        return text


class ImportFiles:
    """Writes a :class:`BulkGraph` as import CSV files into ``directory``.

    Args:
        graph: what to write.
        now: stamped on records (``ingested_at``), customers, memberships and events.
    """

    def __init__(self, graph: BulkGraph, now: datetime) -> None:
        self.graph = graph
        self.now = now.isoformat()
        self.iso = _Times()
        self.attribute_names = sorted({name for r in graph.records for name in r.attributes})
        self.event_ids = [new_event_id() for _ in range(graph.events)]

    def steps(self) -> list[tuple[str, str, list[str], Rows, int]]:
        """``(kind, label or type, header, rows, count)`` of every file, in write order."""
        g = self.graph
        events = g.events
        return [
            ("nodes", "Record", self._record_header(), self._records, len(g.records)),
            ("nodes", "Identifier", _IDENTIFIER, self._identifiers, len(g.identifiers)),
            ("nodes", "Block", _BLOCK, self._blocks, len(g.blocks)),
            ("nodes", "Customer", _CUSTOMER, self._customers, len(g.customers)),
            ("nodes", "CustomerEvent", _EVENT, self._events, events),
            ("nodes", "FeedSequence", _FEED, self._feed, 1 if events else 0),
            ("relationships", "OBSERVED", _OBSERVED, self._observed, g.observations),
            ("relationships", "LINKED", _LINKED, self._linked, len(g.links)),
            ("relationships", "SIMILAR", _SIMILAR, self._similar, len(g.similar)),
            ("relationships", "IN_BLOCK", _IN_BLOCK, self._in_block, g.block_memberships),
            ("relationships", "BELONGS_TO", _BELONGS_TO, self._belongs_to, g.memberships),
            ("relationships", "ABOUT", _ABOUT, self._about, events),
        ]

    def write(
        self,
        directory: Path,
        advance: Callable[[str, int], None] | None = None,
        workers: int = 1,
    ) -> list[ImportFile]:
        """Write every non-empty file; ``advance(name, rows)`` after each.

        With several ``workers`` the files are dealt into as many bundles of about equal
        rows; this process writes the first bundle and forked workers the others (a
        worker copies the pages of the graph it reads, so one fewer saves memory).
        """
        directory.mkdir(parents=True, exist_ok=True)
        steps = [step for step in self.steps() if step[4]]
        bundles: list[list[int]] = [[] for _ in range(max(workers, 1))]
        rows_of = [0] * len(bundles)
        for index in sorted(range(len(steps)), key=lambda i: -steps[i][4]):
            lightest = rows_of.index(min(rows_of))
            bundles[lightest].append(index)
            rows_of[lightest] += steps[index][4]

        def write_bundle(bundle: list[int]) -> list[ImportFile]:
            files = []
            for index in bundle:
                kind, name, header, rows, _count = steps[index]
                path = directory / f"{name.lower()}.csv"
                count = _write(path, header, rows())
                files.append(ImportFile(path, kind, name, count, _line_breaks(path) != count + 1))
            return files

        written: dict[int, ImportFile] = {}
        done = fork_map(write_bundle, bundles, len(bundles), first_here=True)
        for bundle, files in zip(bundles, done, strict=True):
            for index, file in zip(bundle, files, strict=True):
                written[index] = file
                if advance is not None:
                    advance(file.name, steps[index][4])
        return [written[i] for i in range(len(steps))]

    # ------------------------------------------------------------------ nodes
    def _record_header(self) -> list[str]:
        return [
            "key:ID(Record)",
            "source",
            "record_id",
            "observed_at:datetime",
            "content_hash",
            "ingested_at:datetime",
            "consent_purposes:string[]",
            "consent_granted:boolean[]",
            "consent_at:datetime[]",
            *(f"attr_{name}" for name in self.attribute_names),
        ]

    def _records(self) -> Iterator[Sequence[Any]]:
        for record in self.graph.records:
            props = record_properties(record)
            yield [
                record.key,
                props["source"],
                props["record_id"],
                props["observed_at"],
                props["content_hash"],
                self.now,
                *(_array(props[name]) if name in props else None for name in _STATEMENTS),
                *(record.attributes.get(name) for name in self.attribute_names),
            ]

    def _identifiers(self) -> Iterator[Sequence[Any]]:
        g = self.graph
        customer_of = {k: c.customer_id for c in g.customers for k in c.members}
        membership = g.partition.clustering.membership
        for key, s in g.identifiers.items():
            kind, value = split_identifier_key(key)
            customer = customer_of.get(key)
            yield [
                key,
                kind,
                value,
                key in g.shared_reason,
                g.shared_reason.get(key),
                self.iso(s.first),
                self.iso(s.last),
                _array(s.sources),
                s.count,
                customer,
                membership[key] if customer else None,
            ]

    def _blocks(self) -> Iterator[Sequence[Any]]:
        for key, members in self.graph.blocks.items():
            yield [key, len(members), key.split(":")[0]]

    def _customers(self) -> Iterator[Sequence[Any]]:
        derived = self.graph.consent.derived
        for c in self.graph.customers:
            consent = derived.get(c.customer_id)
            yield [
                c.customer_id,
                self.now,
                "active",
                c.confidence,
                len(c.members),
                c.weakest,
                self.now,
                _array(consent.granted) if consent else None,
                _array(consent.withdrawn) if consent else None,
            ]

    def _event_rows(self) -> Iterator[tuple[str, str, list[str], str, str | None]]:
        """``(type, customer id, after, reason, trigger record)`` of every event, in
        the order one live batch writes them: the ``created`` events, then ``consent``."""
        for c in self.graph.customers:
            yield "created", c.customer_id, [c.customer_id], c.reason, c.trigger
        for e in self.graph.consent.events:
            yield e.type.value, e.customer_id, e.after, e.reason, e.trigger_record

    def _events(self) -> Iterator[Sequence[Any]]:
        for seq, (event_id, (kind, customer_id, after, reason, trigger)) in enumerate(
            zip(self.event_ids, self._event_rows(), strict=True), 1
        ):
            yield [event_id, kind, seq, customer_id, _array(after), reason, trigger, self.now]

    def _feed(self) -> Iterator[Sequence[Any]]:
        yield [FEED_SEQUENCE, self.graph.events]

    # ------------------------------------------------------------------ relationships
    def _observed(self) -> Iterator[Sequence[Any]]:
        for record in self.graph.records:
            at = self.iso(record.observed_at)
            for ident in record.identifiers:
                yield [record.key, ident.key, at]

    def _linked(self) -> Iterator[Sequence[Any]]:
        g = self.graph
        times = g.record_times()
        for (a, b), records in g.links.items():
            stamps = [times[r] for r in records]
            p = g.link_probability[(a, b)]
            sources = sorted({source_of(r) for r in records})
            yield [
                a,
                b,
                CO_OBSERVED,
                _array(sorted(records)),
                _array(sources),
                len(records),
                len(sources),
                self.iso(min(stamps)),
                self.iso(max(stamps)),
                p,
                match_weight(p),
            ]

    def _similar(self) -> Iterator[Sequence[Any]]:
        g = self.graph
        times = g.record_times()
        for (a, b), evidence in sorted(g.similar.items()):
            texts = sorted(evidence.pairs)
            records = sorted({k for t in texts for k in split_pair_key(t)})
            sources = sorted({source_of(r) for r in records})
            stamps = [times[r] for r in records]
            best = evidence.probability
            yield [
                a,
                b,
                SIMILARITY_RULE,
                _array(texts),
                _array(evidence.pairs[t][0] for t in texts),
                _array(evidence.pairs[t][1] for t in texts),
                _array(records),
                _array(sources),
                len(records),
                len(sources),
                self.iso(min(stamps)),
                self.iso(max(stamps)),
                best,
                match_weight(best),
                g.model_version,
            ]

    def _in_block(self) -> Iterator[Sequence[Any]]:
        for block, members in self.graph.blocks.items():
            for record in members:
                yield [record, block]

    def _belongs_to(self) -> Iterator[Sequence[Any]]:
        membership = self.graph.partition.clustering.membership
        for c in self.graph.customers:
            for key in sorted(c.members):
                yield [key, c.customer_id, membership[key], self.now]

    def _about(self) -> Iterator[Sequence[Any]]:
        # every event of the load names one customer, its own (``before`` is empty)
        for event_id, (_kind, customer_id, *_rest) in zip(
            self.event_ids, self._event_rows(), strict=True
        ):
            yield [event_id, customer_id]


#: A record's consent statements: the parallel lists of ``record_properties`` (absent on a
#: record without statements: empty cells, no properties).
_STATEMENTS = ("consent_purposes", "consent_granted", "consent_at")


def _pair_header(start: str, end: str, *props: str) -> list[str]:
    return [f":START_ID({start})", f":END_ID({end})", *props]


_IDENTIFIER = [
    "key:ID(Identifier)",
    "kind",
    "value",
    "shared:boolean",
    "shared_reason",
    "first_seen:datetime",
    "last_seen:datetime",
    "sources:string[]",
    "record_count:long",
    "customer_id",
    "membership_confidence:double",
]
_BLOCK = ["key:ID(Block)", "size:long", "rule"]
_CUSTOMER = [
    "customer_id:ID(Customer)",
    "created_at:datetime",
    "status",
    "confidence:double",
    "size:long",
    "weakest_link",
    "updated_at:datetime",
    "consent_granted:string[]",
    "consent_withdrawn:string[]",
]
_EVENT = [
    "event_id:ID(CustomerEvent)",
    "type",
    "seq:long",
    "customer_id",
    "after:string[]",
    "reason",
    "trigger_record",
    "at:datetime",
]
_FEED = ["name:ID(FeedSequence)", "next:long"]
_OBSERVED = _pair_header("Record", "Identifier", "observed_at:datetime")
_EVIDENCE = [
    "records:string[]",
    "sources:string[]",
    "record_count:long",
    "source_count:long",
    "first_seen:datetime",
    "last_seen:datetime",
]
_LINKED = _pair_header(
    "Identifier",
    "Identifier",
    "rule",
    *_EVIDENCE,
    "match_probability:double",
    "match_weight:double",
)
_SIMILAR = _pair_header(
    "Identifier",
    "Identifier",
    "rule",
    "pairs:string[]",
    "pair_probabilities:double[]",
    "comparisons:string[]",
    *_EVIDENCE,
    "match_probability:double",
    "match_weight:double",
    "model_version",
)
_IN_BLOCK = _pair_header("Record", "Block")
_BELONGS_TO = _pair_header("Identifier", "Customer", "confidence:double", "since:datetime")
_ABOUT = _pair_header("CustomerEvent", "Customer")
