"""Backup and restore of the graph (``idgraph backup FILE``, ``idgraph restore FILE``).

For the local server (:mod:`app.backup.local`) with Neo4j's own ``neo4j-admin database
dump`` / ``load`` from the server's jars, the server stopped and started around it (Neo4j
Community dumps and loads only a stopped database). An external Neo4j is backed up with
its own tools (README, "Backup and restore").
"""
