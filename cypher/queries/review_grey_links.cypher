// Review queue: pairs of joinable identifiers whose evidence lies in the grey zone, with no
// override yet. A pair both LINKED and SIMILAR counts with the stronger of the two, as in
// clustering. Closest to the join threshold first.
// Parameters: $low, $high (the grey zone: low <= p < high), $threshold (the join threshold), $limit (int)
// Returns: a, b (identifier keys, a -> b as stored), customer_a, customer_b,
//          match_probability, records (list of record keys behind both kinds of evidence)
CALL () {
  MATCH (a:Identifier)-[l:LINKED]->(b:Identifier)
  WHERE l.match_probability >= $low AND l.match_probability < $high
  RETURN a, b
  UNION
  MATCH (a:Identifier)-[l:SIMILAR]->(b:Identifier)
  WHERE l.match_probability >= $low AND l.match_probability < $high
  RETURN a, b
}
WITH a, b
WHERE NOT a.shared AND NOT b.shared
  AND NOT EXISTS { MATCH (a)<-[:CONCERNS]-(:Override)-[:CONCERNS]->(b) }
WITH a, b, [(a)-[m:LINKED|SIMILAR]-(b) | m] AS evidence
WITH a, b, evidence,
     reduce(best = 0.0, m IN evidence |
       CASE WHEN m.match_probability > best THEN m.match_probability ELSE best END) AS p
WHERE p < $high
RETURN a.key AS a, b.key AS b, a.customer_id AS customer_a, b.customer_id AS customer_b,
       p AS match_probability,
       reduce(rs = [], m IN evidence | rs + m.records) AS records
ORDER BY abs(p - $threshold), a, b
LIMIT $limit
