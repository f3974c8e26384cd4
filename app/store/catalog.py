"""The Cypher catalog: one statement per ``.cypher`` file under ``cypher/``, read once.

A file starts with ``//`` comments naming its parameters and returned columns; the
statement is the rest. Files are looked up by their path without the suffix, e.g.
``catalog.query("queries/lookup_identifier")``. The files ship inside the installed
package ``cypher`` (package data), so an installed idgraph finds them wherever it lives.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

#: The installed package ``cypher`` (a directory in a source checkout or a wheel install).
CYPHER: Traversable = files("cypher")
SUFFIX = ".cypher"


@cache
def query(name: str) -> str:
    """The statement stored in ``cypher/<name>.cypher`` (cached)."""
    resource = CYPHER.joinpath(*f"{name}{SUFFIX}".split("/"))
    if not resource.is_file():
        raise KeyError(f"no Cypher file cypher/{name}{SUFFIX}")
    return resource.read_text(encoding="utf-8").strip()


def names(folder: str) -> list[str]:
    """All statement names under ``cypher/<folder>``, sorted (schema order matters)."""
    return sorted(
        f"{folder}/{entry.name.removesuffix(SUFFIX)}"
        for entry in CYPHER.joinpath(folder).iterdir()
        if entry.is_file() and entry.name.endswith(SUFFIX)
    )
