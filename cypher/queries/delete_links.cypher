// Remove links whose last record was replaced.
// Parameters: $pairs (list of [a, b] identifier keys)
// Returns: deleted (count)
UNWIND $pairs AS p
MATCH (:Identifier {key: p[0]})-[l:LINKED]->(:Identifier {key: p[1]})
DELETE l
RETURN count(*) AS deleted
