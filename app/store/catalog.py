"""The Cypher catalog: one statement per ``.cypher`` file under ``cypher/``, read once.

A file starts with ``//`` comments naming its parameters and returned columns; the
statement is the rest. Files are looked up by their path without the suffix, e.g.
``catalog.query("queries/lookup_identifier")``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

CYPHER_DIR = Path(__file__).resolve().parents[2] / "cypher"


@cache
def query(name: str) -> str:
    """The statement stored in ``cypher/<name>.cypher`` (cached)."""
    path = CYPHER_DIR / f"{name}.cypher"
    if not path.is_file():
        raise KeyError(f"no Cypher file {path}")
    return path.read_text(encoding="utf-8").strip()


def names(folder: str) -> list[str]:
    """All statement names under ``cypher/<folder>``, sorted (schema order matters)."""
    return sorted(
        str(p.relative_to(CYPHER_DIR).with_suffix(""))
        for p in (CYPHER_DIR / folder).glob("*.cypher")
    )
