// The evidence on links between given identifier pairs (either direction).
// Parameters: $pairs (list of [a, b] identifier keys)
// Both kinds: LINKED (seen together) and SIMILAR (look alike); a pair may have one of each.
// Returns: a, b, type, rule, records, sources, first_seen, last_seen, match_probability,
//          match_weight, pairs, pair_probabilities, comparisons (the last three SIMILAR only)
UNWIND $pairs AS p
MATCH (x:Identifier {key: p[0]})
MATCH (y:Identifier {key: p[1]})
CALL (x, y) {
  MATCH (x)-[l:LINKED|SIMILAR]-(y)
  RETURN l
}
RETURN x.key AS a, y.key AS b, type(l) AS type, l.rule AS rule, l.records AS records, l.sources AS sources,
       l.first_seen AS first_seen, l.last_seen AS last_seen,
       l.match_probability AS match_probability, l.match_weight AS match_weight,
       l.pairs AS pairs, l.pair_probabilities AS pair_probabilities, l.comparisons AS comparisons
