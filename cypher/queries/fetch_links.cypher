// Current evidence of the given identifier pairs (a < b).
// Parameters: $pairs (list of [a, b] identifier keys)
// Returns: a, b, records, first_seen, last_seen (times as ISO strings)
UNWIND $pairs AS p
MATCH (a:Identifier {key: p[0]})
MATCH (b:Identifier {key: p[1]})
CALL (a, b) {
  // seek both ends first, then expand into: never scan all of a hub's links
  MATCH (a)-[l:LINKED]->(b)
  RETURN l
}
RETURN a.key AS a, b.key AS b, l.records AS records,
       toString(l.first_seen) AS first_seen, toString(l.last_seen) AS last_seen
