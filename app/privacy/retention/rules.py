"""Retention rules: how long idgraph keeps a source's records or an identifier kind.

``IDGRAPH_RETENTION_RULES`` holds a JSON list of rules, or the path of a YAML or JSON file
holding one::

    [{"name": "cookies", "kind": "cookie", "keep_for": "13 months"},
     {"name": "callcentre", "source": "callcentre", "keep_for": "2 years"}]

A ``source`` rule deletes the source's records observed more than ``keep_for`` ago; a
``kind`` rule removes identifiers of the kind last seen more than ``keep_for`` ago.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.core.errors import IdgraphError
from graph_models.identifiers import RECORD_KIND, BuiltinKind

_PERIOD = re.compile(r"^\s*(\d+)\s*(day|week|month|year)s?\s*$", re.IGNORECASE)
_ISO_PERIOD = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


class RetentionConfigError(IdgraphError):
    """The retention rules cannot be read; the message names the rule and field."""


class Period(BaseModel):
    """A length of time in calendar units (months and years are calendar months)."""

    model_config = ConfigDict(frozen=True)

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        """``"13 months"``, ``"2 years"``, ``"90 days"``, ``"4 weeks"`` or ISO 8601 ``P13M``."""
        plain = _PERIOD.match(text)
        if plain:
            n, unit = int(plain.group(1)), plain.group(2).lower()
            return {
                "day": cls(days=n),
                "week": cls(days=7 * n),
                "month": cls(months=n),
                "year": cls(years=n),
            }[unit]
        iso = _ISO_PERIOD.match(text.strip().upper())
        if iso and any(iso.groups()):
            y, m, w, d = (int(g or 0) for g in iso.groups())
            return cls(years=y, months=m, days=7 * w + d)
        raise ValueError(
            f"{text!r} is not a period: write e.g. '13 months', '2 years', '90 days' or 'P13M'"
        )

    def before(self, moment: datetime) -> datetime:
        """``moment`` minus this period (the day clipped to the month's last, as in
        31 March minus 1 month = 28 or 29 February)."""
        months = moment.year * 12 + moment.month - 1 - (12 * self.years + self.months)
        year, month = divmod(months, 12)
        month += 1
        day = moment.day
        while True:
            try:
                shifted = moment.replace(year=year, month=month, day=day)
                break
            except ValueError:
                day -= 1
        return shifted - timedelta(days=self.days)

    def __str__(self) -> str:
        parts = [(self.years, "year"), (self.months, "month"), (self.days, "day")]
        return " ".join(f"{n} {u}{'s' if n != 1 else ''}" for n, u in parts if n) or "0 days"


class RetentionRule(BaseModel):
    """One rule: records of a ``source``, or identifiers of a ``kind``, kept ``keep_for``.

    Attributes:
        name: how history events and reports name the rule (defaults to the source or kind).
        source: records of this source expire ``keep_for`` after their ``observed_at``.
        kind: identifiers of this kind expire ``keep_for`` after their ``last_seen`` (the
            latest ``observed_at`` of the records observing them); records that observed
            one lose it, and a record left with no identifier is deleted.
        keep_for: the period.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="", max_length=64)
    source: str | None = Field(default=None, min_length=1)
    kind: str | None = Field(default=None, min_length=1)
    keep_for: Period

    @field_validator("keep_for", mode="before")
    @classmethod
    def _period(cls, value: Any) -> Any:
        return Period.parse(value) if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
            raise ValueError("letters, digits and . _ - only (it appears in history reasons)")
        return value

    @model_validator(mode="after")
    def _one_subject(self) -> RetentionRule:
        if (self.source is None) == (self.kind is None):
            raise ValueError("give exactly one of 'source' or 'kind'")
        if not self.name:
            object.__setattr__(self, "name", f"{self.source or ''}{self.kind or ''}")
        return self

    @property
    def subject(self) -> str:
        """``source callcentre`` or ``kind cookie`` (no personal values)."""
        return f"source {self.source}" if self.source else f"kind {self.kind}"

    def describe(self) -> str:
        since = "observed_at" if self.source else "last_seen"
        return f"{self.name} ({self.subject}, {self.keep_for} after {since})"


def parse_rules(spec: str, kinds: set[str] | None = None) -> list[RetentionRule]:
    """The rules of ``IDGRAPH_RETENTION_RULES``: a JSON list, or a YAML/JSON file's path.

    Args:
        spec: the setting (empty: no rules).
        kinds: the identifier kinds in use (builtin and ``IDGRAPH_EXTRA_KINDS``); a rule
            naming another kind is refused.

    Raises:
        RetentionConfigError: unreadable, or a rule is wrong (the message names it).
    """
    text = spec.strip()
    if not text:
        return []
    where = "IDGRAPH_RETENTION_RULES"
    try:
        if text.startswith("["):
            raw = json.loads(text)
        else:
            path = Path(text).expanduser()
            where = f"{where} file {path}"
            if not path.is_file():
                raise RetentionConfigError(
                    f"IDGRAPH_RETENTION_RULES is neither a JSON list nor a file: no file {path}"
                )
            raw = yaml.safe_load(path.read_text())  # YAML reads JSON too
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise RetentionConfigError(f"{where}: not valid JSON/YAML ({exc})") from None
    if isinstance(raw, dict) and "rules" in raw:
        raw = raw["rules"]
    if not isinstance(raw, list):
        raise RetentionConfigError(f"{where}: expected a list of rules")
    rules: list[RetentionRule] = []
    for index, item in enumerate(raw):
        try:
            rule = RetentionRule.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'rule'}: {e['msg']}" for e in exc.errors()
            )
            raise RetentionConfigError(f"{where}: rule {index}: {problems}") from None
        allowed = (kinds or set()) | {k.value for k in BuiltinKind} | {RECORD_KIND}
        if rule.kind is not None and rule.kind not in allowed:
            raise RetentionConfigError(
                f"{where}: rule {index}: kind: unknown identifier kind {rule.kind!r} "
                f"(known: {', '.join(sorted(allowed))}; more with IDGRAPH_EXTRA_KINDS)"
            )
        rules.append(rule)
    names = [r.name for r in rules]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RetentionConfigError(f"{where}: rule names must differ: {', '.join(twice)}")
    return rules
