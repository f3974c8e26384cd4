// Every identifier linked (seen together or similar) to one of the given identifiers.
// Parameters: $keys (list of identifier keys)
// Returns: key
UNWIND $keys AS k
MATCH (:Identifier {key: k})-[:LINKED|SIMILAR]-(n:Identifier)
RETURN DISTINCT n.key AS key
