// Recompute identifier statistics from their remaining observations (after replacements).
// Parameters: $keys (list of identifier keys)
// Returns: key, observations (0 means the identifier has no evidence left)
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
CALL (i) {
  OPTIONAL MATCH (r:Record)-[:OBSERVED]->(i)
  RETURN min(r.observed_at) AS first, max(r.observed_at) AS last,
         collect(DISTINCT r.source) AS sources, count(r) AS n
}
SET i.first_seen = first, i.last_seen = last, i.sources = sources, i.record_count = n
RETURN k AS key, n AS observations
