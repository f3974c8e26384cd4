// Delete identifiers that no record observes any more (with their links and membership).
// Parameters: $keys (list of identifier keys)
// Returns: deleted (count)
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
WHERE NOT EXISTS { (:Record)-[:OBSERVED]->(i) }
DETACH DELETE i
RETURN count(*) AS deleted
