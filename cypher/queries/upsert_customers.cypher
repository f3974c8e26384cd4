// Create or refresh customers after re-evaluation.
// Parameters: $rows (list of {id, confidence, size, weakest}), $now (ISO string)
// Returns: written (count)
UNWIND $rows AS row
MERGE (c:Customer {customer_id: row.id})
ON CREATE SET c.created_at = datetime($now)
SET c.status = 'active', c.merged_into = null, c.confidence = row.confidence,
    c.size = row.size, c.weakest_link = row.weakest, c.updated_at = datetime($now)
RETURN count(c) AS written
