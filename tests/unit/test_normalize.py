"""Normalisation of identifiers and records: canonical forms, errors, content hashes."""

from __future__ import annotations

from datetime import UTC, datetime

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.core.errors import InvalidIdentifierError, InvalidInputError
from app.engine.normalize import Normaliser, content_hash
from graph_models.identifiers import Identifier, RawIdentifier
from graph_models.records import SourceRecord

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def source_record(
    identifiers: list[tuple[str, str]],
    attributes: dict[str, str] | None = None,
    source: str = "web",
    record_id: str = "evt-1",
) -> SourceRecord:
    return SourceRecord(
        source=source,
        record_id=record_id,
        observed_at=AT,
        identifiers=[RawIdentifier(kind=k, value=v) for k, v in identifiers],
        attributes=attributes or {},
    )


@pytest.fixture
def normaliser() -> Normaliser:
    return Normaliser()


# ---------------------------------------------------------------------- email


@pytest.mark.parametrize(
    "raw",
    ["jane.doe@example.com", "  Jane.Doe@Example.COM ", "\tJANE.DOE@EXAMPLE.COM\n"],
)
def test_email_is_trimmed_and_lower_cased(normaliser: Normaliser, raw: str) -> None:
    ident = normaliser.identifier("email", raw)

    assert ident == Identifier(kind="email", value="jane.doe@example.com")
    assert ident.key == "email:jane.doe@example.com"


def test_kind_is_case_insensitive(normaliser: Normaliser) -> None:
    assert normaliser.identifier(" EMAIL ", "a@example.com").kind == "email"


@pytest.mark.parametrize(
    "raw", ["not-an-email", "jane@", "@example.com", "jane doe@example.com", "a@@example.com"]
)
def test_bad_email_syntax_names_the_value(normaliser: Normaliser, raw: str) -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        normaliser.identifier("email", raw)

    assert caught.value.field == "value"
    assert caught.value.kind == "email"


# ---------------------------------------------------------------------- kinds and values


def test_unknown_kind_names_the_kind(normaliser: Normaliser) -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        normaliser.identifier("passport", "X123")

    assert caught.value.field == "kind"
    assert "passport" in caught.value.message


@pytest.mark.parametrize("kind", ["email", "phone", "cookie", "device", "account"])
@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_empty_value_is_rejected(normaliser: Normaliser, kind: str, raw: str) -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        normaliser.identifier(kind, raw, "web")

    assert caught.value.field == "value"
    assert "empty" in caught.value.reason


def test_extra_kinds_are_known_and_trimmed() -> None:
    normaliser = Normaliser(extra_kinds=[" Loyalty_Card "])

    ident = normaliser.identifier("LOYALTY_CARD", "  LC-0042  ")

    assert ident == Identifier(kind="loyalty_card", value="LC-0042")
    with pytest.raises(InvalidIdentifierError):
        Normaliser().identifier("loyalty_card", "LC-0042")


@pytest.mark.parametrize("kind", ["cookie", "device"])
def test_cookie_and_device_are_trimmed_not_lowered(normaliser: Normaliser, kind: str) -> None:
    assert normaliser.identifier(kind, "  AbC-123  ").value == "AbC-123"


# ---------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    "raw", ["+1 (415) 555-0100", "415.555.0100", "14155550100", "(415) 555 0100", "+14155550100"]
)
def test_phone_is_written_in_e164(normaliser: Normaliser, raw: str) -> None:
    assert normaliser.identifier("phone", raw).value == "+14155550100"


def test_phone_default_region_is_respected() -> None:
    gb = Normaliser(default_region="GB")

    assert gb.identifier("phone", "020 7946 0958").value == "+442079460958"
    # An explicit country code wins over the default region.
    assert gb.identifier("phone", "+1 415 555 0100").value == "+14155550100"
    # The region is case-insensitive.
    assert Normaliser(default_region="gb").identifier("phone", "020 7946 0958").value == (
        "+442079460958"
    )
    # Read with the US default, the same national digits are no phone number at all.
    with pytest.raises(InvalidIdentifierError):
        Normaliser(default_region="US").identifier("phone", "020 7946 0958")


@pytest.mark.parametrize("raw", ["hello", "12", "+1 415", "not a phone"])
def test_bad_phone_names_the_value(normaliser: Normaliser, raw: str) -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        normaliser.identifier("phone", raw)

    assert caught.value.field == "value"
    assert caught.value.kind == "phone"


# ---------------------------------------------------------------------- account


def test_account_is_scoped_to_its_source(normaliser: Normaliser) -> None:
    assert normaliser.identifier("account", " u-123 ", "web").value == "web/u-123"
    assert normaliser.identifier("account", "u-123", " crm ").value == "crm/u-123"


def test_account_without_source_is_taken_as_already_scoped(normaliser: Normaliser) -> None:
    # Lookups pass the scoped value and no source.
    assert normaliser.identifier("account", "web/u-123").value == "web/u-123"


def test_global_accounts_are_not_scoped() -> None:
    normaliser = Normaliser(global_accounts=True)

    assert normaliser.identifier("account", " u-123 ", "web").value == "u-123"


# ---------------------------------------------------------------------- record


def test_record_collapses_duplicates_and_sorts_identifiers(normaliser: Normaliser) -> None:
    record = source_record(
        [
            ("phone", "415.555.0100"),
            ("email", "Jane@Example.com"),
            ("cookie", "ck-9"),
            ("email", " jane@example.com "),
            ("phone", "+1 (415) 555-0100"),
            ("account", "u-1"),
        ]
    )

    normalised = normaliser.record(record)

    keys = [i.key for i in normalised.identifiers]
    assert keys == [
        "account:web/u-1",
        "cookie:ck-9",
        "email:jane@example.com",
        "phone:+14155550100",
    ]
    assert keys == sorted(keys)
    assert normalised.key == "web|evt-1"
    assert normalised.observed_at == AT


def test_record_drops_blank_attributes(normaliser: Normaliser) -> None:
    record = source_record([("email", "a@example.com")], {"name": "Jane", "postcode": "  "})

    assert normaliser.record(record).attributes == {"name": "Jane"}


def test_record_errors_name_every_bad_field(normaliser: Normaliser) -> None:
    record = source_record(
        [
            ("email", "jane@example.com"),
            ("email", "not-an-email"),
            ("passport", "X1"),
            ("phone", "  "),
        ]
    )

    with pytest.raises(InvalidInputError) as caught:
        normaliser.record(record)

    assert "web|evt-1" in caught.value.message
    assert [e.field for e in caught.value.errors] == [
        ("identifiers", 1, "value"),
        ("identifiers", 2, "kind"),
        ("identifiers", 3, "value"),
    ]
    assert all(e.type == "invalid_identifier" for e in caught.value.errors)
    assert all(e.msg for e in caught.value.errors)


def test_content_hash_ignores_identifier_order(normaliser: Normaliser) -> None:
    identifiers = [("email", "a@example.com"), ("phone", "4155550100"), ("cookie", "c1")]
    attributes = {"name": "Jane", "city": "SF"}

    forward = normaliser.record(source_record(identifiers, attributes))
    backward = normaliser.record(
        source_record(identifiers[::-1], dict(reversed(list(attributes.items()))))
    )
    spelled_differently = normaliser.record(
        source_record(
            [("cookie", " c1 "), ("phone", "+1 415 555 0100"), ("email", "A@EXAMPLE.COM")],
            attributes,
        )
    )

    assert forward.content_hash == backward.content_hash == spelled_differently.content_hash


def test_content_hash_changes_with_content(normaliser: Normaliser) -> None:
    base = normaliser.record(source_record([("email", "a@example.com")], {"name": "Jane"}))
    other_attr = normaliser.record(source_record([("email", "a@example.com")], {"name": "Jen"}))
    extra_attr = normaliser.record(
        source_record([("email", "a@example.com")], {"name": "Jane", "city": "SF"})
    )
    other_ident = normaliser.record(source_record([("email", "b@example.com")], {"name": "Jane"}))

    hashes = {base.content_hash, other_attr.content_hash, extra_attr.content_hash}
    hashes.add(other_ident.content_hash)
    assert len(hashes) == 4


def test_content_hash_changes_with_observed_at() -> None:
    ident = [Identifier(kind="email", value="a@example.com")]

    assert content_hash(AT.isoformat(), ident, {}) != content_hash(
        datetime(2026, 11, 2, tzinfo=UTC).isoformat(), ident, {}
    )


# ---------------------------------------------------------------------- properties


@settings(max_examples=100, deadline=None)
@given(st.emails())
def test_email_normalisation_is_idempotent(email: str) -> None:
    normaliser = Normaliser()
    try:
        once = normaliser.identifier("email", email).value
    except InvalidIdentifierError:
        assume(False)
        raise
    assert normaliser.identifier("email", once).value == once
    assert normaliser.identifier("email", f"  {once.upper()} ").value == once


@st.composite
def us_numbers(draw: st.DrawFn) -> str:
    """A valid US number as national digits (area code, exchange, line)."""
    area = draw(st.integers(200, 989))
    exchange = draw(st.integers(200, 999))
    line = draw(st.integers(0, 9999))
    digits = f"{area:03d}{exchange:03d}{line:04d}"
    assume(phonenumbers.is_valid_number(phonenumbers.parse(digits, "US")))
    return digits


@settings(max_examples=100, deadline=None)
@given(
    us_numbers(),
    st.sampled_from(
        [
            "{a}{e}{l}",
            "({a}) {e}-{l}",
            "{a}.{e}.{l}",
            "+1 {a} {e} {l}",
            "1{a}{e}{l}",
            "  +1-{a}-{e}-{l}  ",
        ]
    ),
)
def test_phone_normalisation_is_idempotent(digits: str, layout: str) -> None:
    normaliser = Normaliser()
    raw = layout.format(a=digits[:3], e=digits[3:6], l=digits[6:])

    once = normaliser.identifier("phone", raw).value

    assert once == f"+1{digits}"
    assert normaliser.identifier("phone", once).value == once
    # E.164 carries its country code, so another default region reads it the same way.
    assert Normaliser(default_region="GB").identifier("phone", once).value == once


@settings(max_examples=100, deadline=None)
@given(
    st.text(st.characters(codec="ascii", categories=["L", "N", "P"]), min_size=1, max_size=40),
    st.text(" \t\n\r", max_size=4),
    st.text(" \t\n\r", max_size=4),
)
def test_cookie_round_trips_through_whitespace(cookie: str, before: str, after: str) -> None:
    normaliser = Normaliser()

    ident = normaliser.identifier("cookie", before + cookie + after)

    assert ident.value == cookie
    assert normaliser.identifier("cookie", ident.value) == ident


def test_a_remembered_identifier_is_the_same_and_errors_are_raised_every_time(
    normaliser: Normaliser,
) -> None:
    first = normaliser.identifier("email", " Jane@Example.COM ")
    assert normaliser.identifier("email", " Jane@Example.COM ") is first
    assert normaliser.identifier("account", "u-1", "web").value == "web/u-1"
    assert normaliser.identifier("account", "u-1", "crm").value == "crm/u-1"
    for _ in range(2):
        with pytest.raises(InvalidIdentifierError):
            normaliser.identifier("email", "not-an-email")
