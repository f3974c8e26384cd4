"""idgraph's benchmark: ``python -m bench.run`` (``make bench``); see ``bench/README.md``.

Everything measured goes through the public HTTP API of a real server process against a
real Neo4j. The only shortcut is the *background* graph of the incremental step, which
is bulk-loaded with the Cypher in ``bench/cypher/`` (see :mod:`bench.background`).
"""
