// Delete the overrides that concern any of the given identifiers (erasure).
// Parameters: $keys (list of identifier keys)
// Returns: deleted (count)
UNWIND $keys AS k
MATCH (:Identifier {key: k})<-[:CONCERNS]-(o:Override)
WITH DISTINCT o
DETACH DELETE o
RETURN count(*) AS deleted
