// Lock customers, then read every member with its joinable links (one step of the scope
// walk: whole customers at once). Locking first means a concurrent batch that touches the
// same customers waits for this transaction and then sees its result.
// Parameters: $ids (customer ids, sorted to keep lock order stable), $threshold (float)
// Returns: customer_id, created_at (ISO string), members (list of [key, shared, membership,
//          links (list of [neighbour key, match_probability])])
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
SET c.lock_seq = coalesce(c.lock_seq, 0) + 1
WITH c
CALL (c) {
  MATCH (c)<-[:BELONGS_TO]-(a:Identifier)
  RETURN collect([a.key, a.shared, a.membership_confidence,
    CASE WHEN a.shared THEN [] ELSE
      [(a)-[l:LINKED|SIMILAR]-(b:Identifier) WHERE NOT b.shared AND l.match_probability >= $threshold
       | [b.key, l.match_probability]] END]) AS members
}
RETURN c.customer_id AS customer_id, toString(c.created_at) AS created_at, members
