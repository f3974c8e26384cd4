// One breadth-first step over joinable links, LINKED (seen together) or SIMILAR (look
// alike): neither end shared, probability >= $threshold. A pair may appear twice (both kinds).
// Parameters: $keys (identifier keys), $threshold (float)
// Returns: key, shared, customer_id, membership, links (list of [neighbour key, match_probability])
UNWIND $keys AS k
MATCH (a:Identifier {key: k})
RETURN a.key AS key, a.shared AS shared, a.customer_id AS customer_id,
       a.membership_confidence AS membership,
       CASE WHEN a.shared THEN [] ELSE
         [(a)-[l:LINKED|SIMILAR]-(b:Identifier) WHERE NOT b.shared AND l.match_probability >= $threshold
          | [b.key, l.match_probability]] END AS links
