// BENCH ONLY: bulk load of the incremental step's background graph (empty graph assumed).
// Mirrors cypher/queries/upsert_customers.cypher (ON CREATE).
// Parameters: $rows (list of {id, confidence, size, weakest, ...}), $now (ISO string)
// Returns: nothing
UNWIND $rows AS row
CREATE (c:Customer {customer_id: row.id})
SET c.created_at = datetime($now), c.status = 'active', c.merged_into = null,
    c.confidence = row.confidence, c.size = row.size, c.weakest_link = row.weakest,
    c.updated_at = datetime($now)
