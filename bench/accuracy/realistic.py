"""A realistic benchmark: administrative sources about one town, made by ``pseudopeople``.

``pseudopeople`` (1.3.1, the ``bench`` extra) simulates the population of a fictional
town, *Anytown* (WA), and the records that government sources kept about it, with the
noise those sources have: typos, OCR and phonetic errors, nicknames, blank fields,
month and day swapped, wrong zipcode digits, a household member's values copied,
borrowed SSNs, people moving house, group quarters (a college, a prison, a nursing home,
barracks: over a hundred unrelated people at one address) and families sharing a
surname and an address. Every record carries its ``simulant_id``: the truth. Its sample
data writes every zipcode as ``00000`` (plus noise) and the city as ``Anytown``, so
postcode and city say next to nothing here; street number and name do the work.

Sources (each a separate idgraph ``source``; pseudopeople ``seed`` :data:`SEED`):

======== =============================================== ============ ==============
source   pseudopeople data set                           birth date   observed at
======== =============================================== ============ ==============
census   decennial census 2020                           MM/DD/YYYY   2020-04-01
w2       W2 and 1099 tax forms, tax year 2020: mailing   (none)       2021-01-31
         address and SSN, one record per form (people
         with several jobs have several); employer
         fields ignored, a PO box becomes ``po box N``
         in ``address_1`` when there is no street
ssa      Social Security events up to 2020: the          YYYYMMDD     2020-12-31
         ``death`` events dropped, and the people who
         had died by then (a benchmark of the living)
wic      WIC (women, infants and children) 2020          MMDDYYYY     2020-07-01
acs      American Community Survey 2021-2025             MM/DD/YYYY   survey date
cps      Current Population Survey 2021-2025             MM/DD/YYYY   survey date
======== =============================================== ============ ==============

Population: the whole sample town is ~36k records, so a seeded share
(:data:`HOUSEHOLD_SHARE`) of the private households of 2020 is kept, whole, with
every record of their members in every source; the six group quarters are always kept
(they are the hardest cases). A person's household is their household in the 2020
census (noise-free), else on their 2020 tax forms or WIC record; someone in none of
them (in the Social Security file or a later survey only: people who live elsewhere
in 2020) is kept with the same share, by ``simulant_id``. The choice uses the truth
only to pick the population, never as matching input. Result: 19,594 records of 8,741
people (census 5,528, w2 5,478, ssa 8,440, wic 57, acs 19, cps 72), 17,468 true pairs.

What a data engineer knows about these sources goes to idgraph as settings
(:attr:`Dataset.settings`): the census, Social Security and WIC list each person once
(``one_record_per_person_sources``; true of all but 1 census and 3 Social Security
people here, pseudopeople's duplicates). Splink's standard configuration has no such
setting (its ``link_only`` would skip all within-source pairs, w2 duplicates included).

On top of pseudopeople's noise, our own seeded layer (:data:`NOISE_SEED`): first and
last name swapped in :data:`NAME_SWAP_RATE` (1.5%) of the records that have both. Birth
dates stay in each source's own format (the table above, as pseudopeople writes them),
and the loader then maps each source's date from its known format to ISO
``YYYY-MM-DD``, as a data engineer's column mapping would; a date that does not parse
in that format (an OCR ``0G/|7/1964``, a 13th month) is kept as its raw string. Both
matchers get the same normalised values.

idgraph attributes (strings, empty ones dropped): ``first_name``, ``middle_name``
(Social Security's middle name, the other sources' middle initial), ``last_name``,
``birth_date``, ``street_number``, ``address_1`` (street name), ``address_2`` (unit),
``postcode`` (zipcode), ``suburb`` (city), ``state``, ``national_id`` (SSN); no
identifiers (none of these sources has an email or a phone). The Splink frame has the
same columns plus ``unique_id`` (the record key) and ``source_dataset``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bench.accuracy.febrl import Dataset, clean, record_key

if TYPE_CHECKING:
    import pandas

#: The data sets ``--datasets`` accepts from this module.
DATASETS = ("realistic",)

#: pseudopeople's seed for every source.
SEED = 2020
#: Share of the private households of 2020 kept (group quarters are always kept).
HOUSEHOLD_SHARE = 0.5
#: Seed of our own noise layer and of the household sample.
NOISE_SEED = 13
#: Share of records (with both names) whose first and last names are swapped.
NAME_SWAP_RATE = 0.015
#: Survey years of ``acs`` and ``cps``: the same people, some of them moved.
SURVEY_YEARS = range(2021, 2026)

#: The attributes of a record, in the Splink frame's column order.
ATTRIBUTES = (
    "first_name",
    "middle_name",
    "last_name",
    "birth_date",
    "street_number",
    "address_1",
    "address_2",
    "postcode",
    "suburb",
    "state",
    "national_id",
)

_PERSON = {"first_name": "first_name", "middle_initial": "middle_name", "last_name": "last_name"}
_HOME = {
    "street_number": "street_number",
    "street_name": "address_1",
    "unit_number": "address_2",
    "zipcode": "postcode",
    "city": "suburb",
    "state": "state",
}


@dataclass(frozen=True)
class Source:
    """One administrative source: its pseudopeople data set and its column mapping."""

    name: str  # the idgraph source
    columns: dict[str, str]  # pseudopeople column -> idgraph attribute
    date_format: str | None  # strptime format of its birth dates, None without
    observed_at: str | None  # ISO timestamp; None: the row's survey_date
    year: int | None = 2020  # pseudopeople's ``year=``; None: every year
    survey_years: range | None = None  # keep rows whose survey_date falls in these
    #: The source lists each person at most once (one census line, one Social Security
    #: number record, one WIC participant): told to idgraph as
    #: ``one_record_per_person_sources``. Not the surveys (a person may be sampled in
    #: several years) nor tax forms (one per job).
    once: bool = False


SOURCES = (
    Source(
        "census",
        {**_PERSON, "date_of_birth": "birth_date", **_HOME},
        "%m/%d/%Y",
        "2020-04-01T00:00:00+00:00",
        once=True,
    ),
    Source(
        "w2",
        {
            **_PERSON,
            "ssn": "national_id",
            "mailing_address_street_number": "street_number",
            "mailing_address_street_name": "address_1",
            "mailing_address_unit_number": "address_2",
            "mailing_address_zipcode": "postcode",
            "mailing_address_city": "suburb",
            "mailing_address_state": "state",
        },
        None,
        "2021-01-31T00:00:00+00:00",
    ),
    Source(
        "ssa",
        {
            "first_name": "first_name",
            "middle_name": "middle_name",
            "last_name": "last_name",
            "date_of_birth": "birth_date",
            "ssn": "national_id",
        },
        "%Y%m%d",
        "2020-12-31T00:00:00+00:00",
        once=True,
    ),
    Source(
        "wic",
        {**_PERSON, "date_of_birth": "birth_date", **_HOME},
        "%m%d%Y",
        "2020-07-01T00:00:00+00:00",
        once=True,
    ),
    Source(
        "acs",
        {**_PERSON, "date_of_birth": "birth_date", **_HOME},
        "%m/%d/%Y",
        None,
        year=None,
        survey_years=SURVEY_YEARS,
    ),
    Source(
        "cps",
        {**_PERSON, "date_of_birth": "birth_date", **_HOME},
        "%m/%d/%Y",
        None,
        year=None,
        survey_years=SURVEY_YEARS,
    ),
)

_GENERATORS = {
    "census": "generate_decennial_census",
    "w2": "generate_taxes_w2_and_1099",
    "ssa": "generate_social_security",
    "wic": "generate_women_infants_and_children",
    "acs": "generate_american_community_survey",
    "cps": "generate_current_population_survey",
}

_PATTERN_OF = {"%Y": r"\d{4}", "%m": r"\d{2}", "%d": r"\d{2}"}


def iso_date(raw: str, date_format: str) -> str:
    """``raw`` written in ``date_format`` as ``YYYY-MM-DD``; ``raw`` when it does not parse.

    The whole value must have the format's shape (two-digit month and day, four-digit
    year), so ``"2020111"`` is not read as ``%Y%m%d``.
    """
    pattern = re.escape(date_format)
    for directive, digits in _PATTERN_OF.items():
        pattern = pattern.replace(re.escape(directive), digits)
    if re.fullmatch(pattern, raw) is None:
        return raw
    try:
        return datetime.strptime(raw, date_format).date().isoformat()
    except ValueError:  # 02/30/1990, 13/01/1990
        return raw


def swap_names(attributes: dict[str, str], rng: random.Random, rate: float) -> bool:
    """Swap first and last name in place with probability ``rate``; True if swapped.

    The draw is made for every record, so one record's fields never shift the draws of
    the records after it.
    """
    draw = rng.random()
    if draw >= rate or "first_name" not in attributes or "last_name" not in attributes:
        return False
    attributes["first_name"], attributes["last_name"] = (
        attributes["last_name"],
        attributes["first_name"],
    )
    return True


def to_attributes(source: Source, row: dict[str, Any]) -> dict[str, str]:
    """One pseudopeople row as idgraph attributes: mapped, cleaned, dates made ISO."""
    attributes: dict[str, str] = {}
    for column, attribute in source.columns.items():
        value = clean(row.get(column))
        if value is not None:
            attributes[attribute] = value
    po_box = clean(row.get("mailing_address_po_box"))
    if po_box is not None and "address_1" not in attributes:
        attributes["address_1"] = f"po box {po_box}"
    if source.date_format is not None and "birth_date" in attributes:
        attributes["birth_date"] = iso_date(attributes["birth_date"], source.date_format)
    return attributes


def observed_at(source: Source, row: dict[str, Any]) -> str:
    if source.observed_at is not None:
        return source.observed_at
    return f"{row['survey_date'].date().isoformat()}T00:00:00+00:00"


def kept(unit: str, share: float = HOUSEHOLD_SHARE, seed: int = NOISE_SEED) -> bool:
    """Whether the sample keeps household (or person) ``unit``: a seeded hash, stable."""
    digest = hashlib.sha256(f"{seed}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def population(
    households: dict[str, str], group_quarters: set[str], share: float = HOUSEHOLD_SHARE
) -> Callable[[str], bool]:
    """``simulant_id -> in the benchmark?``: whole households, group quarters always."""

    def member(simulant: str) -> bool:
        household = households.get(simulant)
        if household is None:
            return kept(f"person:{simulant}", share)
        return household in group_quarters or kept(f"household:{household}", share)

    return member


def build(
    frames: dict[str, pandas.DataFrame],
    member: Callable[[str], bool],
    swap_rate: float = NAME_SWAP_RATE,
    seed: int = NOISE_SEED,
) -> Dataset:
    """The :class:`Dataset` of the rows of ``frames`` (source name -> pseudopeople frame,
    already filtered to the source's rows) whose simulant is a ``member``."""
    import pandas as pd

    records: list[dict[str, Any]] = []
    truth: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    by_name = {s.name: s for s in SOURCES}
    swapped = 0
    for name, frame in frames.items():
        source = by_name[name]
        rng = random.Random(f"{seed}:{name}")
        for number, row in enumerate(frame.to_dict("records")):
            attributes = to_attributes(source, row)
            was_swapped = swap_names(attributes, rng, swap_rate)
            simulant = str(row["simulant_id"])
            if not member(simulant):
                continue
            swapped += was_swapped
            record_id = f"{number:06d}"
            key = record_key(name, record_id)
            truth[key] = simulant
            records.append(
                {
                    "source": name,
                    "record_id": record_id,
                    "observed_at": observed_at(source, row),
                    "identifiers": [],
                    "attributes": attributes,
                }
            )
            rows.append(
                {
                    "unique_id": key,
                    "source_dataset": name,
                    **{a: attributes.get(a) for a in ATTRIBUTES},
                }
            )
    frame = pd.DataFrame(rows, columns=["unique_id", "source_dataset", *ATTRIBUTES])
    per_source = Counter(r["source"] for r in records)
    return Dataset(
        name="realistic",
        records=records,
        truth=truth,
        frame=frame,
        notes={
            "records_per_source": {s.name: per_source[s.name] for s in SOURCES},
            "names_swapped": swapped,
        },
        settings={"one_record_per_person_sources": [s.name for s in SOURCES if s.once]},
    )


@dataclass
class Town:
    """pseudopeople's rows per source and who lived where in 2020 (for the sample)."""

    frames: dict[str, pandas.DataFrame]  # source name -> its rows, filtered, not sampled
    households: dict[str, str]  # simulant_id -> household_id in 2020
    group_quarters: set[str]  # household_ids of the group quarters


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """pseudopeople draws tqdm progress bars on stderr even with ``verbose=False``."""
    with contextlib.redirect_stderr(io.StringIO()):
        yield


def generate(seed: int = SEED) -> Town:
    """Every source's rows from pseudopeople's sample data, and the households of 2020."""
    try:
        import pseudopeople
    except ModuleNotFoundError as exc:  # Python 3.13+, or the bench extra not installed
        raise RuntimeError(
            "the realistic data set needs pseudopeople (Python 3.11 or 3.12): "
            "pip install -e '.[bench]'"
        ) from exc

    frames: dict[str, pandas.DataFrame] = {}
    with _quiet():
        for source in SOURCES:
            generator = getattr(pseudopeople, _GENERATORS[source.name])
            frame = generator(seed=seed, year=source.year, verbose=False)
            if source.survey_years is not None:
                frame = frame[frame["survey_date"].dt.year.isin(source.survey_years)]
            frames[source.name] = frame.reset_index(drop=True)
        census = pseudopeople.generate_decennial_census(
            seed=seed, year=2020, config=pseudopeople.NO_NOISE, verbose=False
        )
    # the living: no death event (a blank event type is kept), nobody dead by then
    ssa = frames["ssa"]
    dead = set(ssa.loc[ssa["event_type"] == "death", "simulant_id"])
    frames["ssa"] = ssa[
        (ssa["event_type"] != "death") & ~ssa["simulant_id"].isin(dead)
    ].reset_index(drop=True)
    households: dict[str, str] = {}
    for frame in (frames["wic"], frames["w2"], census):  # later ones win: the census
        households.update(zip(frame["simulant_id"], frame["household_id"], strict=True))
    housing = census.groupby("household_id", observed=True)["housing_type"].first()
    return Town(frames, households, set(housing[housing != "Household"].index))


def load(name: str = "realistic") -> Dataset:
    """Generate the sources, keep the sampled population, add our noise, normalise."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose from {', '.join(DATASETS)}")
    town = generate()
    return build(town.frames, population(town.households, town.group_quarters))
