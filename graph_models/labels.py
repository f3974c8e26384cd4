"""Node labels and relationship types of the identity graph.

Cypher never takes a label or relationship type from request data; the `.cypher`
files spell these names, and this module is the one place Python refers to them.
"""

from enum import StrEnum


class NodeLabel(StrEnum):
    """Labels as they appear in Neo4j Browser."""

    IDENTIFIER = "Identifier"
    RECORD = "Record"
    CUSTOMER = "Customer"
    EVENT = "CustomerEvent"
    OVERRIDE = "Override"
    SUPPRESSED = "Suppressed"
    SECRET = "Secret"
    BLOCK = "Block"
    MATCH_MODEL = "MatchModel"


class RelType(StrEnum):
    """Relationship types as they appear in Neo4j Browser."""

    OBSERVED = "OBSERVED"  # (:Record)-[:OBSERVED]->(:Identifier): lineage
    LINKED = "LINKED"  # (:Identifier)-[:LINKED]->(:Identifier): match evidence, low key -> high key
    BELONGS_TO = "BELONGS_TO"  # (:Identifier)-[:BELONGS_TO]->(:Customer): membership
    ABOUT = "ABOUT"  # (:CustomerEvent)-[:ABOUT]->(:Customer): history
    MERGED_INTO = "MERGED_INTO"  # (:Customer)-[:MERGED_INTO]->(:Customer): retired id -> survivor
    WAS_MEMBER = "WAS_MEMBER"  # (:Identifier)-[:WAS_MEMBER]->(:Customer): past membership
    CONCERNS = "CONCERNS"  # (:Override)-[:CONCERNS]->(:Identifier)
    SIMILAR = "SIMILAR"  # (:Identifier)-[:SIMILAR]->(:Identifier): look-alike records' anchors
    IN_BLOCK = "IN_BLOCK"  # (:Record)-[:IN_BLOCK]->(:Block): blocking key of a record
