"""The change feed (``GET /v1/changes``): customer changes in commit order, from Neo4j."""
