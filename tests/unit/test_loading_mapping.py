"""The mapping file of ``idgraph load``: what it accepts, and errors that name the key path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.loading.mapping import Column, MappingError, RecordMapping, load_mapping, parse_mapping

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "crm-mapping.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(MappingError) as caught:
        parse_mapping(text)
    return caught.value.problems


def test_a_full_mapping_parses_with_short_forms() -> None:
    mapping = parse_mapping(
        """
source: crm
record_id: {column: customer_no}
observed_at: {column: updated, format: "%d/%m/%Y %H:%M"}
identifiers:
  Email: [{column: email}, {column: email_2}]
  phone: {column: mobile}
attributes:
  first_name: {column: fname}
  birth_date: {column: dob, format: "%d.%m.%Y"}
csv: {delimiter: tab, encoding: latin-1}
"""
    )
    assert mapping.source == "crm"
    assert mapping.identifiers == {
        "email": [Column(column="email"), Column(column="email_2")],
        "phone": [Column(column="mobile")],
    }
    assert mapping.csv.delimiter == "\t"
    assert mapping.csv.encoding == "iso8859-1"
    assert [path for path, _ in mapping.fields()] == [
        "record_id",
        "observed_at",
        "identifiers.email[0]",
        "identifiers.email[1]",
        "identifiers.phone[0]",
        "attributes.first_name",
        "attributes.birth_date",
    ]
    assert mapping.columns() == [
        "customer_no",
        "updated",
        "email",
        "email_2",
        "mobile",
        "fname",
        "dob",
    ]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-11-01T08:30:00Z", datetime(2026, 11, 1, 8, 30, tzinfo=UTC)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("'2026-11-01 08:30'", datetime(2026, 11, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_observed_at_may_be_one_time_for_the_file(written: str, expected: datetime) -> None:
    mapping = parse_mapping(f"source: crm\nrecord_id: {{column: id}}\nobserved_at: {written}\n")
    assert mapping.observed_at == expected
    assert [path for path, _ in mapping.fields()] == ["record_id"]


def test_observed_at_that_is_neither_a_time_nor_a_column_is_refused() -> None:
    found = problems("source: crm\nrecord_id: {column: id}\nobserved_at: last tuesday\n")
    assert found and all(p.startswith("observed_at") for p in found), found


def test_source_may_be_a_column() -> None:
    mapping = parse_mapping("source: {column: system}\nrecord_id: {column: id}\n")
    assert mapping.source == Column(column="system")
    assert mapping.fields()[0] == ("source", Column(column="system"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("source: crm\n", "record_id: Field required"),
        ("record_id: {column: id}\n", "source: Field required"),
        ("source: crm\nrecord_id: {colum: id}\n", "record_id.colum: Extra inputs"),
        ("source: crm\nrecord_id: {column: ''}\n", "record_id.column: String should have"),
        (
            "source: crm\nrecord_id: {column: id}\nidentifiers: {email: [{column: e}, {col: f}]}\n",
            "identifiers.email[1].column: Field required",
        ),
        (
            "source: crm\nrecord_id: {column: id}\nattributes: {dob: {column: d, fmt: x}}\n",
            "attributes.dob.fmt: Extra inputs",
        ),
        ("source: crm\nrecord_id: {column: id}\nextra: 1\n", "extra: Extra inputs"),
        ("source: '  '\nrecord_id: {column: id}\n", "source: a source name"),
        (
            "source: crm\nrecord_id: {column: id}\ncsv: {delimiter: ';;'}\n",
            "csv.delimiter: one character",
        ),
        (
            "source: crm\nrecord_id: {column: id}\ncsv: {encoding: klingon}\n",
            "csv.encoding: unknown encoding 'klingon'",
        ),
        (
            "source: crm\nrecord_id: {column: id}\nidentifiers: {record: {column: r}}\n",
            "identifiers: identifier kind 'record' is reserved",
        ),
        (
            "source: crm\nrecord_id: {column: id}\nidentifiers: {email: []}\n",
            "identifiers: identifiers.email: name at least one column",
        ),
        (
            "source: crm\nrecord_id: {column: id, format: '%Y'}\n",
            "record_id: 'format' applies to observed_at and attributes only",
        ),
        (
            "source: {column: s, format: '%Y'}\nrecord_id: {column: id}\n",
            "source: 'format' applies",
        ),
        (
            "source: crm\nrecord_id: {column: id}\n"
            "identifiers: {phone: [{column: p}, {column: q, format: x}]}\n",
            "identifiers: identifiers.phone[1]: 'format' applies",
        ),
    ],
)
def test_each_problem_names_its_key_path(text: str, expected: str) -> None:
    found = problems(text)
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_reported_at_once() -> None:
    found = problems("source: crm\nrecord_id: {col: id}\nidentifiers: {email: {column: 3}}\n")
    assert len(found) == 3, found
    assert any(p.startswith("record_id.column: Field required") for p in found)
    assert any(p.startswith("record_id.col: Extra inputs") for p in found)
    assert any(p.startswith("identifiers.email[0].column: Input should be") for p in found)


def test_yaml_syntax_errors_name_the_line() -> None:
    found = problems("source: crm\nrecord_id: {column: id\n")
    assert found[0].startswith("not valid YAML at line 3")


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    assert problems("- source\n- crm\n")[0].startswith("(top level): expected a mapping")


def test_missing_columns_and_unknown_kinds_are_named() -> None:
    mapping = parse_mapping(
        "source: crm\nrecord_id: {column: id}\n"
        "identifiers: {email: {column: mail}, loyalty: {column: card}}\n"
    )
    with pytest.raises(MappingError) as caught:
        mapping.check_columns("crm.csv", ["id", "email", "card"])
    assert caught.value.problems[0] == "identifiers.email[0]: column 'mail' is not in the file"
    assert "the file's columns: ['id', 'email', 'card']" in caught.value.problems
    with pytest.raises(MappingError, match=r"identifiers.loyalty: unknown identifier kind"):
        mapping.check_kinds(["email", "phone"])
    mapping.check_kinds(["email", "loyalty"])


def test_load_mapping_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="cannot read the file"):
        load_mapping(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: crm\n")
    with pytest.raises(MappingError, match=r"bad.yaml: record_id: Field required"):
        load_mapping(bad)


def test_the_committed_crm_example_is_valid() -> None:
    mapping = load_mapping(EXAMPLE)
    assert isinstance(mapping, RecordMapping)
    assert mapping.source == "crm"
    assert {"email", "phone", "account"} <= set(mapping.identifiers)
    assert "birth_date" in mapping.attributes
