// The similarity evidence on given identifier pairs (a < b), if any.
// Parameters: $pairs (list of [a, b] identifier keys)
// Returns: a, b, pairs (list of "recA ~ recB"), pair_probabilities, comparisons (JSON per
//          pair), first_seen, last_seen (ISO strings)
UNWIND $pairs AS p
MATCH (a:Identifier {key: p[0]})
MATCH (b:Identifier {key: p[1]})
CALL (a, b) {
  // seek both ends first, then expand into: never scan all of a hub's links
  MATCH (a)-[s:SIMILAR]->(b)
  RETURN s
}
RETURN a.key AS a, b.key AS b, s.pairs AS pairs, s.pair_probabilities AS pair_probabilities,
       s.comparisons AS comparisons, toString(s.first_seen) AS first_seen, toString(s.last_seen) AS last_seen
