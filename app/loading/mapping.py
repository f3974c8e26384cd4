"""The mapping file: which columns of a CSV, Parquet or JSONL export make up a record.

A mapping is a small YAML document::

    source: crm                      # a constant, or {column: src_system}
    record_id: {column: customer_no}
    observed_at: {column: updated_at, format: "%d/%m/%Y %H:%M"}   # optional; or a time
    identifiers:
      email: [{column: email}, {column: email_2}]
      phone: {column: mobile}        # one column, or a list of them
    attributes:
      first_name: {column: fname}
      birth_date: {column: dob, format: "%d.%m.%Y"}
    csv: {delimiter: ";", encoding: cp1252}                       # optional

It is validated with pydantic: every problem names its key path
(``identifiers.email[1].column``), and so do the bad rows of a load
(``identifiers.email[1] (column 'email_2')``).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from app.core.errors import InvalidInputError
from graph_models.identifiers import MAX_KIND_LENGTH, RECORD_KIND


class MappingError(InvalidInputError):
    """A mapping file that cannot be used; ``problems`` name each key path."""

    def __init__(self, origin: Path | str, problems: list[str]) -> None:
        super().__init__(f"{origin}: " + "; ".join(problems))
        self.problems = problems


class Column(BaseModel):
    """A value read from one column of each row.

    Attributes:
        column: the column's name in the file (for JSONL: the top-level key).
        format: a ``strptime`` format for a date or time written as text (``%d.%m.%Y``);
            only on ``observed_at`` and attributes. Without it, ``observed_at`` text is
            read as ISO 8601; a file's own date and time types need no format.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(min_length=1)
    format: str | None = Field(default=None, min_length=1)


class CsvOptions(BaseModel):
    """How the export's CSV files are written (Parquet and JSONL ignore this).

    Attributes:
        delimiter: one character; default ``,`` (tab for ``.tsv`` files). ``tab`` or
            ``"\\t"`` for a tab.
        encoding: the text encoding (``utf-8``, ``cp1252``, ``latin-1``, ``utf-16``…); a
            UTF-8 byte-order mark is skipped.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    delimiter: str | None = None
    encoding: str = "utf-8"

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and value.lower() == "tab":
            return "\t"
        if value is not None and len(value) != 1:
            raise ValueError("one character, e.g. ';' or 'tab'")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            return codecs.lookup(value).name
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None


class RecordMapping(BaseModel):
    """How the columns of one export make up idgraph records (see the module docstring).

    Attributes:
        source: the record's source: a constant name, or a column holding it.
        record_id: the column holding the record's id within its source.
        observed_at: when the source observed the record: a column, or one time for the
            whole file (``2026-11-01T00:00:00Z``). Unset (or blank in a row), the file's
            modification time, so that loading the same file again changes nothing.
        identifiers: identifier kind -> the columns holding identifiers of that kind (a
            blank cell is no identifier; a list value, in JSONL or Parquet, is several).
        attributes: attribute name -> the column holding it (``format`` on a date column
            writes it as ``YYYY-MM-DD``, the form the matcher compares).
        csv: delimiter and encoding of CSV files.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str | Column
    record_id: Column
    observed_at: datetime | Column | None = None
    identifiers: dict[str, list[Column]] = Field(default_factory=dict)
    attributes: dict[str, Column] = Field(default_factory=dict)
    csv: CsvOptions = Field(default_factory=CsvOptions)

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, value: str | Column) -> str | Column:
        if isinstance(value, str) and not value.strip():
            raise ValueError("a source name, or {column: NAME}")
        return value.strip() if isinstance(value, str) else _no_format(value)

    @field_validator("observed_at", mode="before")
    @classmethod
    def _a_date_is_its_midnight(cls, value: Any) -> Any:
        # YAML reads an unquoted 2026-11-01 as a date
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        return value

    @field_validator("observed_at")
    @classmethod
    def _zone(cls, value: datetime | Column | None) -> datetime | Column | None:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @field_validator("record_id")
    @classmethod
    def _record_id_has_no_format(cls, value: Column) -> Column:
        return _no_format(value)

    @field_validator("identifiers", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        """``email: {column: email}`` is short for a list of one column."""
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, dict) else v for k, v in value.items()}
        return value

    @field_validator("identifiers")
    @classmethod
    def _kinds(cls, value: dict[str, list[Column]]) -> dict[str, list[Column]]:
        normalised: dict[str, list[Column]] = {}
        for kind, columns in value.items():
            name = kind.strip().lower()
            if not name or len(name) > MAX_KIND_LENGTH:
                raise ValueError(f"identifier kind {kind!r}: 1 to {MAX_KIND_LENGTH} characters")
            if name == RECORD_KIND:
                raise ValueError(f"identifier kind {kind!r} is reserved (records without ids)")
            if not columns:
                raise ValueError(f"identifiers.{kind}: name at least one column")
            for index, column in enumerate(columns):
                if column.format:
                    raise ValueError(f"{identifier_field(name, index)}: {_FORMAT_PLACES}")
            normalised.setdefault(name, []).extend(columns)
        return normalised

    @field_validator("attributes")
    @classmethod
    def _attribute_names(cls, value: dict[str, Column]) -> dict[str, Column]:
        blank = [name for name in value if not name.strip()]
        if blank:
            raise ValueError("an attribute needs a name")
        return value

    def fields(self) -> list[tuple[str, Column]]:
        """Every mapped field as ``(key path, column)``: ``("identifiers.email[1]", ...)``."""
        found: list[tuple[str, Column]] = []
        if isinstance(self.source, Column):
            found.append(("source", self.source))
        found.append(("record_id", self.record_id))
        if isinstance(self.observed_at, Column):
            found.append(("observed_at", self.observed_at))
        for kind, columns in self.identifiers.items():
            found.extend((identifier_field(kind, i), c) for i, c in enumerate(columns))
        found.extend((f"attributes.{name}", c) for name, c in self.attributes.items())
        return found

    def columns(self) -> list[str]:
        """The file columns the mapping reads, each once, in mapping order."""
        return list(dict.fromkeys(column.column for _, column in self.fields()))

    def check_columns(self, file: Path | str, columns: Iterable[str]) -> None:
        """Raise :class:`MappingError` naming each mapped column the file lacks."""
        present = list(columns)
        known = set(present)
        missing = [
            f"{field}: column {c.column!r} is not in the file"
            for field, c in self.fields()
            if c.column not in known
        ]
        if missing:
            raise MappingError(file, [*missing, f"the file's columns: {present}"])

    def check_kinds(self, known: Iterable[str]) -> None:
        """Raise :class:`MappingError` for identifier kinds the service does not know."""
        kinds = sorted(known)
        unknown = [k for k in self.identifiers if k not in kinds]
        if unknown:
            raise MappingError(
                "mapping",
                [
                    f"identifiers.{k}: unknown identifier kind; known kinds: {kinds} "
                    "(more with IDGRAPH_EXTRA_KINDS)"
                    for k in unknown
                ],
            )


_FORMAT_PLACES = "'format' applies to observed_at and attributes only"


def _no_format(column: Column) -> Column:
    # a format anywhere else would be silently ignored
    if column.format:
        raise ValueError(_FORMAT_PLACES)
    return column


def identifier_field(kind: str, index: int) -> str:
    """The key path of a mapped identifier column, as rejections name it."""
    return f"identifiers.{kind}[{index}]"


def parse_mapping(text: str, origin: Path | str = "mapping") -> RecordMapping:
    """Parse and validate a mapping from YAML text.

    Raises:
        MappingError: the YAML does not parse, or a key is missing, unknown or malformed
            (each problem names its key path, e.g. ``identifiers.email[0].column``).
    """
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise MappingError(origin, [f"not valid YAML{where}: {problem}"]) from None
    if not isinstance(document, dict):
        raise MappingError(
            origin, ["(top level): expected a mapping with source, record_id, identifiers…"]
        )
    try:
        return RecordMapping.model_validate(document)
    except ValidationError as exc:
        raise MappingError(origin, [_describe(e) for e in exc.errors()]) from None


def load_mapping(path: Path) -> RecordMapping:
    """Read and validate a mapping file (see :func:`parse_mapping`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(path, [f"cannot read the file ({exc})"]) from None
    return parse_mapping(text, path)


#: Names pydantic puts in a location for the member of a union it tried.
_UNION_MEMBERS = frozenset({"str", "Column", "list[Column]", "datetime"})


def _describe(error: Any) -> str:
    # pydantic tries each member of `str | Column`; its loc names the member tried
    # ("source.str", "source.Column.column"): keep the key path the user wrote, with list
    # positions as [i] ("identifiers.email[0].column").
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in _UNION_MEMBERS and not str(part).startswith("function-"):
            path += f".{part}" if path else str(part)
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{path or '(top level)'}: {message}"
