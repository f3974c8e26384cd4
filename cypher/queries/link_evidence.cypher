// The evidence on links between given identifier pairs (either direction).
// Parameters: $pairs (list of [a, b] identifier keys)
// Returns: a, b, rule, records, sources, first_seen, last_seen, match_probability, match_weight
UNWIND $pairs AS p
MATCH (x:Identifier {key: p[0]})
MATCH (y:Identifier {key: p[1]})
CALL (x, y) {
  MATCH (x)-[l:LINKED]-(y)
  RETURN l
}
RETURN x.key AS a, y.key AS b, l.rule AS rule, l.records AS records, l.sources AS sources,
       l.first_seen AS first_seen, l.last_seen AS last_seen,
       l.match_probability AS match_probability, l.match_weight AS match_weight
