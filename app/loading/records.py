"""Rows of a file made into :class:`SourceRecord` objects, or the reasons they cannot be.

Two ways: a mapping (:class:`MappedRows`: any columns, as the mapping file says) or none
(:class:`NativeRows`: JSONL lines already in the shape ``POST /v1/records`` takes). Either
way a problem names the field the way the user wrote it (``identifiers.email[0] (column
'mail')``, ``identifiers[1].value``) and never quotes the value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Protocol

from pydantic import ValidationError

from app.core.errors import InvalidIdentifierError
from app.loading.mapping import Column, RecordMapping
from graph_models.records import SourceRecord, record_key


@dataclass(frozen=True)
class FieldProblem:
    """Why one field of a row cannot be loaded (``field`` is a key path, never a value)."""

    field: str
    message: str


class RowRejected(Exception):
    """A row that makes no valid record; ``problems`` name each bad field, ``record`` the
    record's key (``crm|1001``) when the row had a source and record id."""

    def __init__(self, problems: Sequence[FieldProblem], record: str | None = None) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = list(problems)
        self.record = record


@dataclass(frozen=True)
class RowRecord:
    """A record made from a row, with the field each identifier came from (in order)."""

    record: SourceRecord
    identifier_fields: tuple[str, ...]


class RowsToRecords(Protocol):
    """Makes a record of a row's values, or raises :class:`RowRejected`."""

    def record(self, values: dict[str, Any]) -> RowRecord: ...


#: Checks one identifier as ingestion will (``Normaliser.identifier``).
IdentifierCheck = Callable[[str, str, str], object]


def _check_identifiers(made: RowRecord, check: IdentifierCheck | None) -> RowRecord:
    """Normalise each identifier as ingestion will, so that a bad one is reported with its
    row and field here rather than failing the whole batch later."""
    if check is None:
        return made
    problems = []
    record = made.record
    for raw, field in zip(record.identifiers, made.identifier_fields, strict=True):
        try:
            check(raw.kind, raw.value, record.source)
        except InvalidIdentifierError as exc:
            if field.endswith(".value"):  # a JSONL record's own field: kind or value
                field = field.removesuffix("value") + exc.field
            problems.append(FieldProblem(field, f"invalid {exc.kind}: {exc.reason}"))
    if problems:
        raise RowRejected(problems, record.key)
    return made


def _pydantic_problems(
    exc: ValidationError, name: Callable[[tuple[Any, ...]], str]
) -> list[FieldProblem]:
    return [FieldProblem(name(tuple(e["loc"])), str(e["msg"])) for e in exc.errors()]


def key_path(loc: Sequence[Any]) -> str:
    """``("identifiers", 0, "value")`` as ``identifiers[0].value``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(row)"


class NativeRows:
    """JSONL lines that are records already (``source``, ``record_id``, ``identifiers``…).

    Args:
        default_observed_at: for a line without ``observed_at``.
        check: normalises an identifier (kind, value, source), raising
            :class:`InvalidIdentifierError`; None skips the check.
    """

    def __init__(self, default_observed_at: datetime, check: IdentifierCheck | None) -> None:
        self.default_observed_at = default_observed_at
        self.check = check

    def record(self, values: dict[str, Any]) -> RowRecord:
        if values.get("observed_at") is None:
            values = {**values, "observed_at": self.default_observed_at}
        try:
            record = SourceRecord.model_validate(values)
        except ValidationError as exc:
            source, record_id = values.get("source"), values.get("record_id")
            key = (
                record_key(source, record_id)
                if isinstance(source, str) and isinstance(record_id, str)
                else None
            )
            raise RowRejected(_pydantic_problems(exc, key_path), key) from None
        fields = tuple(f"identifiers[{i}].value" for i in range(len(record.identifiers)))
        return _check_identifiers(RowRecord(record, fields), self.check)


class MappedRows:
    """Rows of any file, made into records as a :class:`RecordMapping` says.

    Args:
        mapping: the mapping.
        default_observed_at: when the mapping has no ``observed_at`` or a row's is blank.
        check: as for :class:`NativeRows`.
    """

    def __init__(
        self,
        mapping: RecordMapping,
        default_observed_at: datetime,
        check: IdentifierCheck | None,
    ) -> None:
        self.mapping = mapping
        self.default_observed_at = default_observed_at
        self.check = check

    def _label(self, field: str, column: Column) -> str:
        return f"{field} (column {column.column!r})"

    def record(self, values: dict[str, Any]) -> RowRecord:
        mapping = self.mapping
        problems: list[FieldProblem] = []

        def text(field: str, column: Column, required: bool = False) -> str | None:
            try:
                found = as_text(values.get(column.column), column.format)
            except ValueError as exc:
                problems.append(FieldProblem(self._label(field, column), str(exc)))
                return None
            if found is None and required:
                problems.append(FieldProblem(self._label(field, column), "missing"))
            return found

        if isinstance(mapping.source, Column):
            source = text("source", mapping.source, required=True)
        else:
            source = mapping.source
        record_id = text("record_id", mapping.record_id, required=True)
        observed_at = self.default_observed_at
        if isinstance(mapping.observed_at, datetime):
            observed_at = mapping.observed_at
        elif mapping.observed_at is not None:
            try:
                observed_at = (
                    as_time(values.get(mapping.observed_at.column), mapping.observed_at.format)
                    or observed_at
                )
            except ValueError as exc:
                problems.append(
                    FieldProblem(self._label("observed_at", mapping.observed_at), str(exc))
                )
        identifiers: list[dict[str, str]] = []
        fields: list[str] = []
        for field, column in mapping.fields():
            if not field.startswith("identifiers."):
                continue
            kind = field.removeprefix("identifiers.").split("[", 1)[0]
            try:
                found = as_texts(values.get(column.column))
            except ValueError as exc:
                problems.append(FieldProblem(self._label(field, column), str(exc)))
                continue
            label = self._label(field, column)
            for n, value in enumerate(found):
                identifiers.append({"kind": kind, "value": value})
                fields.append(label if len(found) == 1 else f"{label}[{n}]")
        attributes: dict[str, str] = {}
        for attribute, column in mapping.attributes.items():
            found_text = text(f"attributes.{attribute}", column)
            if found_text is not None:
                attributes[attribute] = found_text
        key = record_key(source, record_id) if source and record_id else None
        if problems:
            raise RowRejected(problems, key)

        labels = {path: self._label(path, column) for path, column in mapping.fields()}

        def name(loc: tuple[Any, ...]) -> str:
            if loc[:1] == ("identifiers",) and len(loc) > 1 and isinstance(loc[1], int):
                return fields[loc[1]]
            return labels.get(key_path(loc), key_path(loc))

        try:
            record = SourceRecord.model_validate(
                {
                    "source": source,
                    "record_id": record_id,
                    "observed_at": observed_at,
                    "identifiers": identifiers,
                    "attributes": attributes,
                }
            )
        except ValidationError as exc:
            raise RowRejected(_pydantic_problems(exc, name), key) from None
        return _check_identifiers(RowRecord(record, tuple(fields)), self.check)


def as_text(value: Any, date_format: str | None = None) -> str | None:
    """A cell as the text idgraph stores, None when it is missing or blank.

    Numbers are written as a person would (``94110``, not ``94110.0``), dates as
    ISO 8601; with ``date_format``, text is parsed with it and written ``YYYY-MM-DD``
    (a time of day, if the format has one, is kept: ``YYYY-MM-DDTHH:MM:SS``).

    Raises:
        ValueError: a list or object where one value is expected, text that does not
            match ``date_format``, bytes that are not UTF-8 (the message holds no value).
    """
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return None
        if date_format is None:
            return stripped
        parsed = _parse(stripped, date_format)
        return parsed.date().isoformat() if parsed.time() == time() else parsed.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        try:
            return as_text(value.decode("utf-8"), date_format)
        except UnicodeDecodeError:
            raise ValueError("bytes that are not UTF-8 text") from None
    if isinstance(value, list | tuple):
        raise ValueError("a list where one value is expected")
    if isinstance(value, dict):
        raise ValueError("an object where one value is expected")
    raise ValueError(f"a {type(value).__name__} where text is expected")


def as_texts(value: Any) -> list[str]:
    """An identifier cell as its values: none when blank, several for a list (JSONL,
    Parquet list columns), blank items left out."""
    if isinstance(value, list | tuple):
        found = [as_text(item) for item in value]
        return [item for item in found if item is not None]
    found_one = as_text(value)
    return [] if found_one is None else [found_one]


def as_time(value: Any, time_format: str | None = None) -> datetime | None:
    """An ``observed_at`` cell as a datetime (a time without zone is UTC), None if blank.

    Raises:
        ValueError: text that is neither ISO 8601 nor ``time_format``, or a number
            (seconds or milliseconds? write it as a date and time).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return None
        if time_format is not None:
            parsed = _parse(stripped, time_format)
        else:
            try:
                parsed = datetime.fromisoformat(stripped)
            except ValueError:
                raise ValueError(
                    "not an ISO 8601 date and time; give the column a format"
                ) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(value, bool | int | float | Decimal):
        raise ValueError("a number where a date and time is expected")
    raise ValueError(f"a {type(value).__name__} where a date and time is expected")


def _parse(text: str, date_format: str) -> datetime:
    try:
        return datetime.strptime(text, date_format)
    except ValueError:
        raise ValueError(f"does not match the format {date_format!r}") from None
