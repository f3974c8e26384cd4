// Remove links whose last record was replaced.
// Parameters: $pairs (list of [a, b] identifier keys)
// Returns: deleted (count)
UNWIND $pairs AS p
MATCH (a:Identifier {key: p[0]})
MATCH (b:Identifier {key: p[1]})
CALL (a, b) {
  // seek both ends first, then expand into: never scan all of a hub's links
  MATCH (a)-[l:LINKED]->(b)
  RETURN l
}
DELETE l
RETURN count(*) AS deleted
