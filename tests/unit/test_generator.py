"""The synthetic data generator: shape, determinism and the ground truth it claims."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import phonenumbers
import pytest

from app.sampledata.generator import (
    DEFAULT_START,
    PLACEHOLDER_EMAIL,
    RECORDS_PER_PERSON,
    SUPPORT_LINE,
    GeneratedData,
    GroundTruth,
    generate,
    generate_for_records,
    iter_records,
    people_for_records,
    write_jsonl,
    write_truth,
)
from graph_models.records import SourceRecord

SUPPORT_KEY = f"phone:{SUPPORT_LINE}"
PLACEHOLDER_KEY = f"email:{PLACEHOLDER_EMAIL}"
KINDS = {"email", "phone", "cookie", "device", "account"}
RECORD_IDS = {
    "crm": re.compile(r"A-\d{4,}"),
    "orders": re.compile(r"O-\d+"),
    "callcentre": re.compile(r"CALL-\d{7}"),
    "web": re.compile(r"evt-\d{8}"),
}
TYPO_DOMAINS = ("gmial.com", "yaho.com", "outlok.com", "hotmial.com", "iclod.com", "protn.me")


def normalise(source: str, kind: str, raw: str) -> str:
    """What the service does to a raw identifier, written independently of the generator."""
    value = raw.strip()
    if kind == "email":
        return f"email:{value.lower()}"
    if kind == "phone":
        number = phonenumbers.parse(value, "US")
        assert phonenumbers.is_valid_number(number), raw
        return "phone:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind == "account":
        return f"account:{source}/{value}"
    return f"{kind}:{value}"


def record_keys(record: dict[str, Any]) -> list[str]:
    return [normalise(record["source"], i["kind"], i["value"]) for i in record["identifiers"]]


def canonical(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True)


@pytest.fixture(scope="module")
def data() -> GeneratedData:
    return generate(2000, seed=7)


def test_same_seed_same_data_other_seed_other_data() -> None:
    first, again, other = generate(300, seed=11), generate(300, seed=11), generate(300, seed=12)
    assert first == again
    assert first.records != other.records
    assert set(first.truth) != set(other.truth)


def test_streaming_gives_the_same_records_and_truth() -> None:
    ground = GroundTruth()
    streamed = list(iter_records(300, seed=11, ground_truth=ground))
    batch = generate(300, seed=11)
    assert streamed == batch.records
    assert ground.truth == batch.truth
    assert ground.shared == batch.shared
    assert ground.household_devices == batch.household_devices
    assert ground.people == batch.people == 300


def test_every_record_has_the_public_shape(data: GeneratedData) -> None:
    earliest = DEFAULT_START - timedelta(days=90)
    for record in data.records:
        assert set(record) == {"source", "record_id", "observed_at", "identifiers", "attributes"}
        assert RECORD_IDS[record["source"]].fullmatch(record["record_id"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["observed_at"])
        observed = datetime.fromisoformat(record["observed_at"].replace("Z", "+00:00"))
        assert earliest <= observed < DEFAULT_START
        assert record["identifiers"]
        for identifier in record["identifiers"]:
            assert set(identifier) == {"kind", "value"}
            assert identifier["kind"] in KINDS
            assert isinstance(identifier["value"], str)
            assert identifier["value"].strip()
        assert all(isinstance(v, str) for v in record["attributes"].values())
        assert json.loads(json.dumps(record)) == record
        SourceRecord.model_validate(record)


def test_attributes_per_source(data: GeneratedData) -> None:
    for record in data.records:
        attributes = record["attributes"]
        if record["source"] == "crm":
            assert set(attributes) == {"first_name", "last_name", "birth_date", "postcode"}
            datetime.strptime(attributes["birth_date"], "%Y-%m-%d")
        elif record["source"] == "orders":
            assert set(attributes) == {"first_name", "last_name", "postcode"}
        elif record["source"] == "web":
            assert attributes == {}


def test_truth_keys_are_normalised(data: GeneratedData) -> None:
    for key, person in data.truth.items():
        kind, _, value = key.partition(":")
        assert kind in KINDS
        assert re.fullmatch(r"P\d{6}", person)
        assert value == value.strip()
        if kind == "email":
            assert value == value.lower()
            assert value.count("@") == 1
        elif kind == "phone":
            number = phonenumbers.parse(value)
            assert phonenumbers.is_valid_number(number)
            assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == value
            assert value[5:8] != "555"
        elif kind == "account":
            assert re.fullmatch(r"(web|orders)/\S+", value)


def test_every_identifier_in_the_records_is_accounted_for_exactly_once(
    data: GeneratedData,
) -> None:
    seen = {key for record in data.records for key in record_keys(record)}
    truth, shared, household = set(data.truth), data.shared, data.household_devices
    assert seen == truth | shared | household
    assert not truth & shared
    assert not truth & household
    assert not shared & household


def test_raw_values_are_messy_but_normalise_to_the_truth(data: GeneratedData) -> None:
    emails = [i["value"] for r in data.records for i in r["identifiers"] if i["kind"] == "email"]
    phones = [i["value"] for r in data.records for i in r["identifiers"] if i["kind"] == "phone"]
    assert any(e != e.strip() for e in emails)
    assert any(e.strip() != e.strip().lower() for e in emails)
    assert len({p for p in phones if normalise("x", "phone", p) == SUPPORT_KEY}) > 3
    assert any(p.startswith("+1 (") for p in phones)
    assert any(re.fullmatch(r"\d{3}\.\d{3}\.\d{4}", p) for p in phones)
    assert any(re.fullmatch(r"1\d{10}", p) for p in phones)


def test_support_line_and_placeholder_are_shared_not_truth(data: GeneratedData) -> None:
    assert phonenumbers.is_valid_number(phonenumbers.parse(SUPPORT_LINE))
    assert {SUPPORT_KEY, PLACEHOLDER_KEY} <= data.shared
    assert SUPPORT_KEY not in data.truth
    assert PLACEHOLDER_KEY not in data.truth
    callers = set()
    for record in data.records:
        keys = record_keys(record)
        if SUPPORT_KEY in keys:
            assert record["source"] == "callcentre"
            callers |= {data.truth[k] for k in keys if k.startswith("phone:") and k in data.truth}
    assert len(callers) > 100


def test_cafe_devices_are_shared_by_many_people(data: GeneratedData) -> None:
    cafes = {k for k in data.shared if k.startswith("device:")}
    assert cafes
    people_on: dict[str, set[str]] = defaultdict(set)
    for record in data.records:
        keys = record_keys(record)
        for key in set(keys) & cafes:
            people_on[key] |= {data.truth[k] for k in keys if k in data.truth}
    assert max(len(people) for people in people_on.values()) > 10


def test_household_devices_are_excluded_from_truth_and_shared_by_members(
    data: GeneratedData,
) -> None:
    assert data.household_devices
    assert not data.household_devices & set(data.truth)
    members: dict[str, set[str]] = defaultdict(set)
    for record in data.records:
        keys = record_keys(record)
        for key in set(keys) & data.household_devices:
            assert record["source"] == "web"
            assert {k.partition(":")[0] for k in keys} == {"device", "account", "cookie"}
            members[key] |= {data.truth[k] for k in keys if k in data.truth}
    assert all(2 <= len(people) <= 4 for people in members.values())


def test_resent_records_are_identical_copies(data: GeneratedData) -> None:
    by_id: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in data.records:
        by_id[record["source"], record["record_id"]].append(canonical(record))
    copies = {key: texts for key, texts in by_id.items() if len(texts) > 1}
    assert copies
    assert all(len(set(texts)) == 1 for texts in copies.values())
    resent = sum(len(texts) - 1 for texts in copies.values())
    assert 0.004 < resent / len(data.records) < 0.02


def test_resent_copies_come_after_their_originals() -> None:
    records = generate(3000, seed=3).records
    first_seen: dict[str, int] = {}
    for position, record in enumerate(records):
        text = canonical(record)
        if text in first_seen:
            assert position - first_seen[text] > 1
        else:
            first_seen[text] = position


def test_typo_emails_are_own_identifiers_that_map_to_the_person(data: GeneratedData) -> None:
    typo_records = [
        record
        for record in data.records
        for key in record_keys(record)
        if key.startswith("email:") and key.endswith(TYPO_DOMAINS)
    ]
    assert typo_records
    for record in typo_records:
        assert record["source"] == "orders"
        keys = record_keys(record)
        owners = {data.truth[k] for k in keys if k in data.truth}
        assert len(owners) == 1
        assert any(k.startswith("phone:") for k in keys)


def test_anonymous_cookie_history_is_linked_by_a_later_login(data: GeneratedData) -> None:
    anonymous: dict[str, str] = {}
    logins: dict[str, str] = {}
    for record in data.records:
        if record["source"] != "web":
            continue
        kinds = {i["kind"] for i in record["identifiers"]}
        for key in record_keys(record):
            if key.startswith("cookie:"):
                stamp = record["observed_at"]
                if "account" in kinds:
                    logins[key] = max(logins.get(key, stamp), stamp)
                else:
                    anonymous[key] = min(anonymous.get(key, stamp), stamp)
    assert anonymous
    assert set(anonymous) <= set(logins)
    assert all(anonymous[cookie] < logins[cookie] for cookie in anonymous)


def test_each_person_is_exactly_one_component_without_shared_identifiers(
    data: GeneratedData,
) -> None:
    """The truth is reachable: an oracle clustering (connected components) recovers it."""
    excluded = data.shared | data.household_devices
    graph = nx.Graph()
    for index, record in enumerate(data.records):
        node = ("record", index)
        graph.add_node(node)
        graph.add_edges_from((node, key) for key in record_keys(record) if key not in excluded)
    clusters = []
    for component in nx.connected_components(graph):
        keys = [n for n in component if isinstance(n, str)]
        if keys:
            clusters.append({data.truth[k] for k in keys})
    assert all(len(people) == 1 for people in clusters)
    assert len(clusters) == len(set(data.truth.values())) == data.people


def distinct_keys(data: GeneratedData) -> int:
    """Distinct normalised identifiers in the records (the three sets are disjoint)."""
    return len(data.truth) + len(data.shared) + len(data.household_devices)


@pytest.fixture(scope="module")
def data_20k() -> GeneratedData:
    return generate_for_records(20_000, seed=7)


def test_ratios_are_as_documented(data_20k: GeneratedData) -> None:
    data = data_20k
    records = len(data.records)
    assert 5.4 < records / data.people < 6.4
    assert abs(records / data.people - RECORDS_PER_PERSON) < 0.2
    assert 17.5 < len(data.truth) / data.people < 21.0
    # The benchmark needs >= 3 distinct identifiers per record (300k over 100k records).
    assert 3.0 <= distinct_keys(data) / records < 3.6
    occurrences = sum(len(r["identifiers"]) for r in data.records)
    assert 4.0 < occurrences / records < 4.9
    assert all(2 <= len(r["identifiers"]) <= 8 for r in data.records)
    shares = Counter(r["source"] for r in data.records)
    assert 0.65 < shares["web"] / records < 0.77
    assert 0.15 < shares["crm"] / records < 0.19
    assert 0.06 < shares["orders"] / records < 0.10
    assert 0.02 < shares["callcentre"] / records < 0.05
    assert {k.partition(":")[0] for k in data.truth} == KINDS


def test_people_have_several_devices_and_churning_cookies(data: GeneratedData) -> None:
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for key, person in data.truth.items():
        kinds[person][key.partition(":")[0]] += 1
    assert len(kinds) == data.people
    for counts in kinds.values():
        assert 2 <= counts["device"] <= 4
        # 8-15 churned cookies, plus one on a household tablet and one at a cafe.
        assert 8 <= counts["cookie"] <= 17
        assert 1 <= counts["email"] <= 4  # 1-3 addresses, maybe a typo of one
        assert 1 <= counts["phone"] <= 3
    assert {counts["device"] for counts in kinds.values()} == {2, 3, 4}
    assert max(counts["email"] for counts in kinds.values()) >= 3
    assert max(counts["phone"] for counts in kinds.values()) == 3


def test_logins_report_the_device_account_and_recent_cookies(data: GeneratedData) -> None:
    for record in data.records:
        keys = record_keys(record)
        if record["source"] != "web" or not any(k.startswith("account:") for k in keys):
            continue
        kinds = Counter(k.partition(":")[0] for k in keys)
        assert kinds["device"] <= 1  # a cafe login has the cookie and account only
        assert kinds["account"] == 1
        assert 1 <= kinds["cookie"] <= 5
        assert kinds["email"] <= 1
        assert len({data.truth[k] for k in keys if k in data.truth}) == 1


def test_generate_for_records_hits_the_target() -> None:
    # Speed is measured by the benchmark, not asserted here.
    data = generate_for_records(100_000, seed=5)
    assert data.people == people_for_records(100_000)
    assert abs(len(data.records) - 100_000) < 5_000
    assert distinct_keys(data) >= 300_000


def test_start_moves_the_window_and_naive_start_means_utc() -> None:
    start = datetime(2025, 3, 1)
    records = generate(50, seed=1, start=start).records
    aware = start.replace(tzinfo=UTC)
    for record in records:
        observed = datetime.fromisoformat(record["observed_at"].replace("Z", "+00:00"))
        assert aware - timedelta(days=90) <= observed < aware
    assert generate(50, seed=1, start=aware).records == records


def test_tiny_and_empty_populations() -> None:
    assert generate(0).records == []
    one = generate(1)
    assert set(one.truth.values()) == {"P000001"}
    assert all(record_keys(r) for r in one.records)


def test_write_jsonl_and_truth_round_trip(tmp_path: Path, data: GeneratedData) -> None:
    records_path, truth_path = tmp_path / "records.jsonl", tmp_path / "truth.json"
    write_jsonl(data.records[:100], records_path)
    write_truth(data, truth_path)
    lines = records_path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == data.records[:100]
    document = json.loads(truth_path.read_text(encoding="utf-8"))
    assert document["truth"] == data.truth
    assert set(document["shared"]) == data.shared
    assert set(document["household_devices"]) == data.household_devices
    assert document["people"] == data.people
