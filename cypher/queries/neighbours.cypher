// Every identifier linked to one of the given identifiers.
// Parameters: $keys (list of identifier keys)
// Returns: key
UNWIND $keys AS k
MATCH (:Identifier {key: k})-[:LINKED]-(n:Identifier)
RETURN DISTINCT n.key AS key
