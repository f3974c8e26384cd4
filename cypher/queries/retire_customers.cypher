// Retire customer ids: merged into a survivor, or left without identifiers.
// Parameters: $rows (list of {id, status, into}), $now (ISO string)
// Returns: retired (count)
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.id})
SET c.status = row.status, c.merged_into = row.into, c.size = 0, c.confidence = null,
    c.updated_at = datetime($now)
WITH c, row
OPTIONAL MATCH (s:Customer {customer_id: row.into})
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END |
  MERGE (c)-[:MERGED_INTO {at: datetime($now)}]->(s))
RETURN count(c) AS retired
