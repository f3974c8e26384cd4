// Read every member of customers with its joinable links, without locking: the scope walk
// of an explanation in a read transaction (expand_customers.cypher is the locking one).
// Parameters: $ids (customer ids), $threshold (float)
// Returns: customer_id, created_at (ISO string), members (list of [key, shared, membership,
//          links (list of [neighbour key, match_probability])])
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
WITH c
CALL (c) {
  MATCH (c)<-[:BELONGS_TO]-(a:Identifier)
  RETURN collect([a.key, a.shared, a.membership_confidence,
    CASE WHEN a.shared THEN [] ELSE
      [(a)-[l:LINKED|SIMILAR]-(b:Identifier) WHERE NOT b.shared AND l.match_probability >= $threshold
       | [b.key, l.match_probability]] END]) AS members
}
RETURN c.customer_id AS customer_id, toString(c.created_at) AS created_at, members
