// Every identifier (for a from-scratch re-cluster), paged by key.
// Parameters: $after (key to start after), $limit (int)
// Returns: key, kind, shared, customer_id
MATCH (i:Identifier)
WHERE i.key > $after
RETURN i.key AS key, i.kind AS kind, i.shared AS shared, i.customer_id AS customer_id
ORDER BY i.key
LIMIT $limit
