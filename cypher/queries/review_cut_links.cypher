// Review queue: joinable links (at or above the join threshold) between identifiers of two
// different customers. Only a cut keeps such a pair apart: a policy or a cannot-link
// override. Strongest first; the queue re-clusters around them to find each cut.
// Parameters: $threshold (the join threshold), $limit (int)
// Returns: a, b (identifier keys), match_probability
MATCH (a:Identifier)-[l:LINKED|SIMILAR]->(b:Identifier)
WHERE l.match_probability >= $threshold
  AND NOT a.shared AND NOT b.shared
  AND a.customer_id IS NOT NULL AND b.customer_id IS NOT NULL
  AND a.customer_id <> b.customer_id
RETURN a.key AS a, b.key AS b, l.match_probability AS match_probability
ORDER BY match_probability DESC, a, b
LIMIT $limit
