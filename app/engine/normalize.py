"""Normalisation of identifier values, per kind; the same code serves ingestion and lookups.

- ``email``: trimmed, lower-cased and syntax-checked (``email-validator``, no DNS).
- ``phone``: parsed with ``phonenumbers`` (default region configurable) and written in E.164.
- ``account``: trimmed and scoped to its source (``web/u-123``) unless accounts are global.
- ``cookie``, ``device`` and configured extra kinds: trimmed.
- ``record`` is reserved: a record with no identifier but enough attributes to match on
  gets ``record:<source>|<record_id>`` standing for it. Sources cannot send this kind;
  lookups can ask for it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from app.core.errors import FieldError, InvalidIdentifierError, InvalidInputError
from app.engine.matching import profile_of
from graph_models.consent import (
    DEFAULT_PURPOSES,
    ConsentStatement,
    stated_at,
    statement_problems,
)
from graph_models.identifiers import RECORD_KIND, BuiltinKind, Identifier
from graph_models.records import NormalisedRecord, SourceRecord

#: Identifiers a normaliser remembers (most recent first): a file load checks each row's
#: identifiers (to report a bad one with its row) and then normalises the record, so every
#: value is normalised twice in a row; e-mail and phone parsing are the costly part.
REMEMBERED_IDENTIFIERS = 65_536


class Normaliser:
    """Turns raw identifier values into the canonical form stored in the graph.

    Args:
        default_region: ISO country used for phone numbers written without ``+``.
        extra_kinds: identifier kinds beyond the built-in ones (values are trimmed).
        global_accounts: when True, ``account`` values are not scoped to their source.
        record_identifiers: give a record that carries no identifier but enough
            attributes to match on a ``record`` identifier (its own key) standing for it,
            so probabilistic matching can join it to a customer.
        consent_purposes: the purposes a consent statement may name.
    """

    def __init__(
        self,
        default_region: str = "US",
        extra_kinds: Iterable[str] = (),
        global_accounts: bool = False,
        record_identifiers: bool = True,
        consent_purposes: Iterable[str] = DEFAULT_PURPOSES,
    ) -> None:
        self.default_region = default_region.upper()
        self.kinds = {k.value for k in BuiltinKind} | {k.strip().lower() for k in extra_kinds}
        self.global_accounts = global_accounts
        self.record_identifiers = record_identifiers
        self.consent_purposes = frozenset(consent_purposes)
        # Identifier is frozen and the settings above do not change, so a result can be
        # shared; errors are not remembered (they are raised again).
        self._remembered = functools.lru_cache(maxsize=REMEMBERED_IDENTIFIERS)(self._identifier)

    def identifier(self, kind: str, value: str, source: str | None = None) -> Identifier:
        """Normalise one identifier.

        Args:
            kind: identifier kind (case-insensitive).
            value: raw value as a source sent it.
            source: the record's source; scopes ``account`` values. Lookups of a scoped
                account pass the value already scoped (``web/u-123``) and no source.

        Raises:
            InvalidIdentifierError: unknown kind (``field="kind"``) or a bad value.
        """
        return self._remembered(kind, value, source)

    def _identifier(self, kind: str, value: str, source: str | None) -> Identifier:
        kind = kind.strip().lower()
        if kind == RECORD_KIND and source is None:
            # lookups only: the identifier standing for a record is its key
            return Identifier(kind=kind, value=value.strip())
        if kind not in self.kinds:
            raise InvalidIdentifierError(
                kind, value, f"unknown kind; known kinds: {sorted(self.kinds)}", field="kind"
            )
        text = value.strip()
        if not text:
            raise InvalidIdentifierError(kind, value, "empty value")
        if kind == BuiltinKind.EMAIL:
            return Identifier(kind=kind, value=self._email(text))
        if kind == BuiltinKind.PHONE:
            return Identifier(kind=kind, value=self._phone(text))
        if kind == BuiltinKind.ACCOUNT and not self.global_accounts and source is not None:
            return Identifier(kind=kind, value=f"{source.strip()}/{text}")
        return Identifier(kind=kind, value=text)

    def _email(self, text: str) -> str:
        try:
            valid = validate_email(text, check_deliverability=False, globally_deliverable=False)
        except EmailNotValidError as exc:
            raise InvalidIdentifierError("email", text, str(exc)) from None
        return valid.normalized.lower()

    def _phone(self, text: str) -> str:
        try:
            number = phonenumbers.parse(text, self.default_region)
        except phonenumbers.NumberParseException as exc:
            raise InvalidIdentifierError("phone", text, str(exc)) from None
        if not phonenumbers.is_possible_number(number):
            raise InvalidIdentifierError("phone", text, "not a possible phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def record(self, record: SourceRecord) -> NormalisedRecord:
        """Normalise a whole record; duplicates of an identifier within it collapse."""
        errors: list[FieldError] = []
        identifiers: dict[str, Identifier] = {}
        for index, raw in enumerate(record.identifiers):
            try:
                ident = self.identifier(raw.kind, raw.value, record.source)
            except InvalidIdentifierError as exc:
                errors.append(
                    FieldError(("identifiers", index, exc.field), exc.message, "invalid_identifier")
                )
                continue
            identifiers[ident.key] = ident
        problems = statement_problems(
            record.consent, record.observed_at, self.consent_purposes, datetime.now(UTC)
        )
        errors += [FieldError(path, msg, "invalid_consent") for path, msg in problems]
        if errors:
            raise InvalidInputError(f"record {record.key} has invalid fields", errors)
        attributes = {k: v for k, v in sorted(record.attributes.items()) if v.strip()}
        if (
            not identifiers
            and self.record_identifiers
            and profile_of(record.key, attributes, ()) is not None
        ):
            stand_in = Identifier(kind=RECORD_KIND, value=record.key)
            identifiers[stand_in.key] = stand_in
        ordered = tuple(identifiers[k] for k in sorted(identifiers))
        consent = tuple(
            sorted(
                (
                    s.model_copy(update={"at": stated_at(s, record.observed_at)})
                    for s in record.consent
                ),
                key=lambda s: s.purpose,
            )
        )
        return NormalisedRecord(
            source=record.source,
            record_id=record.record_id,
            observed_at=record.observed_at,
            identifiers=ordered,
            attributes=attributes,
            content_hash=content_hash(record.observed_at.isoformat(), ordered, attributes, consent),
            consent=consent,
        )


def content_hash(
    observed_at: str,
    identifiers: Iterable[Identifier],
    attrs: dict[str, str],
    consent: Iterable[ConsentStatement] = (),
) -> str:
    """A digest of a record's content: a re-sent record with the same digest changes nothing.
    Consent statements count only when there are some, so the digests of records without
    them are what they were before consent existed."""
    content: list[object] = [observed_at, [i.key for i in identifiers], sorted(attrs.items())]
    statements = [[s.purpose, s.granted, s.at.isoformat() if s.at else None] for s in consent]
    if statements:
        content.append(statements)
    payload = json.dumps(content, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
