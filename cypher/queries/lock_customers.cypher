// Take write locks on customers before re-evaluating them (concurrent batches serialise).
// Parameters: $ids (list of customer ids)
// Returns: locked (count)
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
SET c.lock_seq = coalesce(c.lock_seq, 0) + 1
RETURN count(c) AS locked
