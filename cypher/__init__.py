"""The Cypher statements of idgraph, shipped inside the package (read with
:mod:`importlib.resources` by :mod:`app.store.catalog`): ``queries/`` for the code,
``schema/`` for constraints and indexes, ``analyst/`` and ``browser/`` for people in Neo4j
Browser. No Python here besides this docstring."""
