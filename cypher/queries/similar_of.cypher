// The similarity evidence (SIMILAR links) touching the given identifiers.
// Parameters: $keys (list of identifier keys)
// Returns: a, b (lower -> higher key), pairs (list of "recA ~ recB"), pair_probabilities,
//          comparisons (JSON per pair), first_seen, last_seen (ISO strings)
UNWIND $keys AS k
MATCH (x:Identifier {key: k})-[s:SIMILAR]-(:Identifier)
WITH DISTINCT s
RETURN startNode(s).key AS a, endNode(s).key AS b, s.pairs AS pairs,
       s.pair_probabilities AS pair_probabilities, s.comparisons AS comparisons,
       toString(s.first_seen) AS first_seen, toString(s.last_seen) AS last_seen
