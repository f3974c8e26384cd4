// The id a customer lives on as now (following MERGED_INTO), with both statuses.
// Parameters: $customer_id
// Returns: asked_status, current_id, current_status
MATCH (asked:Customer {customer_id: $customer_id})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..50]->(final:Customer)
WHERE NOT (final)-[:MERGED_INTO]->(:Customer)
WITH asked, coalesce(final, asked) AS current
RETURN asked.status AS asked_status, current.customer_id AS current_id,
       current.status AS current_status
