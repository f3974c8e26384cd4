// Identifiers linked to both ends of a changed link: their neighbourhoods changed too.
// Parameters: $pairs (list of [a, b] identifier keys)
// Returns: key
UNWIND $pairs AS p
MATCH (a:Identifier {key: p[0]})-[:LINKED]-(x:Identifier)-[:LINKED]-(b:Identifier {key: p[1]})
RETURN DISTINCT x.key AS key
