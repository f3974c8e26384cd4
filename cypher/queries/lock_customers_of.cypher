// Lock, in customer id order, the customers of the identifiers a batch is about to touch,
// before it writes anything: concurrent batches over the same customers then queue up
// instead of deadlocking half-way.
// Parameters: $keys (list of identifier keys)
// Returns: locked (count)
UNWIND $keys AS k
MATCH (:Identifier {key: k})-[:BELONGS_TO]->(c:Customer)
WITH DISTINCT c
ORDER BY c.customer_id
SET c.lock_seq = coalesce(c.lock_seq, 0) + 1
RETURN count(c) AS locked
