"""The realistic data set's mapping, noise and sample, without pseudopeople (but one test)."""

from __future__ import annotations

import math
import random
import re
from collections import Counter

import pytest

from bench.accuracy import realistic
from bench.accuracy.realistic import SOURCES, iso_date, kept, population, swap_names

SOURCE = {s.name: s for s in SOURCES}


@pytest.mark.parametrize(
    ("raw", "date_format", "iso"),
    [
        ("05/06/1994", "%m/%d/%Y", "1994-05-06"),  # census, ACS, CPS
        ("19191204", "%Y%m%d", "1919-12-04"),  # Social Security
        ("12042018", "%m%d%Y", "2018-12-04"),  # WIC
        ("06/05/1994", "%m/%d/%Y", "1994-06-05"),  # a month/day swap still parses
        ("0G/|7/1964", "%m/%d/%Y", "0G/|7/1964"),  # OCR errors: kept raw
        ("13/01/1990", "%m/%d/%Y", "13/01/1990"),  # no 13th month
        ("02/30/1990", "%m/%d/%Y", "02/30/1990"),  # no 30 February
        ("2020111", "%Y%m%d", "2020111"),  # too short: not read as 2020-11-1
        ("5/6/1994", "%m/%d/%Y", "5/6/1994"),  # not the source's shape
        ("1994-05-06", "%m%d%Y", "1994-05-06"),
    ],
)
def test_iso_date_reads_the_source_format_or_keeps_the_raw_value(
    raw: str, date_format: str, iso: str
) -> None:
    assert iso_date(raw, date_format) == iso


def test_swap_names_swaps_at_its_rate_and_always_draws() -> None:
    record = {"first_name": "Ann", "last_name": "Lee"}
    assert swap_names(record, random.Random(1), 1.0)
    assert record == {"first_name": "Lee", "last_name": "Ann"}
    assert not swap_names(record, random.Random(1), 0.0)
    lone = {"first_name": "Ann"}
    assert not swap_names(lone, random.Random(1), 1.0)
    assert lone == {"first_name": "Ann"}
    a, b = random.Random(7), random.Random(7)
    swap_names({}, a, 0.5)  # a record without names still takes its draw
    b.random()
    assert a.random() == b.random()
    rng = random.Random(3)
    swapped = sum(
        swap_names({"first_name": "a", "last_name": "b"}, rng, 0.015) for _ in range(20_000)
    )
    assert 0.012 < swapped / 20_000 < 0.018


def test_to_attributes_maps_cleans_and_normalises() -> None:
    census = realistic.to_attributes(
        SOURCE["census"],
        {
            "simulant_id": "0_1",
            "first_name": "Diana ",
            "middle_initial": "P",
            "last_name": "Kofron",
            "date_of_birth": "05/06/1994",
            "street_number": "5112",
            "street_name": "145th st",
            "unit_number": math.nan,
            "zipcode": "00000",
            "city": "Anytown",
            "state": "WA",
            "age": "25",
        },
    )
    assert census == {
        "first_name": "Diana",
        "middle_name": "P",
        "last_name": "Kofron",
        "birth_date": "1994-05-06",
        "street_number": "5112",
        "address_1": "145th st",
        "postcode": "00000",
        "suburb": "Anytown",
        "state": "WA",
    }
    w2 = realistic.to_attributes(
        SOURCE["w2"],
        {
            "first_name": "Derick",
            "last_name": "Castillo",
            "ssn": "674-27-1745",
            "mailing_address_street_number": math.nan,
            "mailing_address_street_name": math.nan,
            "mailing_address_po_box": "14011",
            "mailing_address_city": "Anytown",
            "employer_name": "Pikes Creek Campground",
        },
    )
    assert w2 == {
        "first_name": "Derick",
        "last_name": "Castillo",
        "national_id": "674-27-1745",
        "address_1": "po box 14011",
        "suburb": "Anytown",
    }
    ssa = realistic.to_attributes(
        SOURCE["ssa"], {"middle_name": "Robert", "date_of_birth": "19210616", "ssn": "1"}
    )
    assert ssa == {"middle_name": "Robert", "birth_date": "1921-06-16", "national_id": "1"}


def test_the_sample_is_seeded_stable_and_keeps_group_quarters() -> None:
    units = [f"household:0_{i}" for i in range(10_000)]
    share = sum(kept(u) for u in units) / len(units)
    assert 0.47 < share < 0.53
    assert [kept(u) for u in units[:50]] == [kept(u) for u in units[:50]]
    assert [kept(u, seed=1) for u in units[:50]] != [kept(u) for u in units[:50]]
    households = {f"p{i}": f"h{i}" for i in range(200)} | {"gq1": "dorm", "gq2": "dorm"}
    member = population(households, {"dorm"}, share=0.0)
    assert member("gq1") and member("gq2")
    assert not any(member(f"p{i}") for i in range(200))
    assert population(households, set(), share=1.0)("nobody")  # no household: by person


def pseudo_frame(rows: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(rows)


def test_build_keeps_members_keys_truth_and_the_same_values_for_splink() -> None:
    pd = pytest.importorskip("pandas")
    frames = {
        "census": pseudo_frame(
            [
                {"simulant_id": "0_1", "first_name": "Ann", "last_name": "Lee"},
                {"simulant_id": "0_2", "first_name": "Out", "last_name": "Side"},
                {"simulant_id": "0_3", "first_name": "Bo", "date_of_birth": "12/31/2001"},
            ]
        ),
        "w2": pseudo_frame([{"simulant_id": "0_1", "first_name": "Ann", "ssn": "123"}]),
        "acs": pseudo_frame(
            [
                {
                    "simulant_id": "0_3",
                    "first_name": "Bo",
                    "survey_date": pd.Timestamp("2023-05-17"),
                }
            ]
        ),
    }
    dataset = realistic.build(frames, lambda simulant: simulant != "0_2", swap_rate=0.0)
    assert dataset.name == "realistic"
    assert dataset.truth == {
        "census|000000": "0_1",
        "census|000002": "0_3",
        "w2|000000": "0_1",
        "acs|000000": "0_3",
    }
    assert [r["observed_at"] for r in dataset.records] == [
        "2020-04-01T00:00:00+00:00",
        "2020-04-01T00:00:00+00:00",
        "2021-01-31T00:00:00+00:00",
        "2023-05-17T00:00:00+00:00",
    ]
    assert dataset.records[1]["attributes"] == {"first_name": "Bo", "birth_date": "2001-12-31"}
    assert all(r["identifiers"] == [] for r in dataset.records)
    assert list(dataset.frame.columns) == ["unique_id", "source_dataset", *realistic.ATTRIBUTES]
    assert list(dataset.frame["unique_id"]) == list(dataset.truth)
    assert dataset.frame.loc[1, "birth_date"] == "2001-12-31"
    assert dataset.frame.loc[1, "national_id"] is None
    assert dataset.notes["records_per_source"] == {
        "census": 2,
        "w2": 1,
        "ssa": 0,
        "wic": 0,
        "acs": 1,
        "cps": 0,
    }
    assert dataset.notes["names_swapped"] == 0


def test_load_rejects_other_names() -> None:
    with pytest.raises(ValueError):
        realistic.load("febrl1")


@pytest.mark.slow
def test_the_realistic_data_set_from_pseudopeople() -> None:
    pytest.importorskip("pseudopeople")
    dataset = realistic.load()
    records = len(dataset.records)
    assert 12_000 <= records <= 25_000
    assert len(dataset.truth) == len(dataset.frame) == records
    assert len({r["source"] + "|" + r["record_id"] for r in dataset.records}) == records
    per_source = dataset.notes["records_per_source"]
    assert sum(per_source.values()) == records and min(per_source.values()) > 0
    assert all(
        isinstance(v, str) and v.strip() for r in dataset.records for v in r["attributes"].values()
    )
    assert 0.01 < dataset.notes["names_swapped"] / records < 0.02
    dates = [r["attributes"].get("birth_date") for r in dataset.records]
    iso = sum(1 for d in dates if d and re.fullmatch(r"\d{4}-\d{2}-\d{2}", d))
    assert iso / sum(1 for d in dates if d) > 0.97
    sizes = Counter(dataset.truth.values())
    assert max(sizes.values()) > 3  # people in several sources, several W2 forms
