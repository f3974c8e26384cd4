// Remove similarity links that no record pair supports any more.
// Parameters: $pairs (list of [a, b] identifier keys, a < b)
// Returns: deleted (count)
UNWIND $pairs AS p
MATCH (a:Identifier {key: p[0]})
MATCH (b:Identifier {key: p[1]})
CALL (a, b) {
  MATCH (a)-[s:SIMILAR]->(b)
  RETURN s
}
DELETE s
RETURN count(*) AS deleted
