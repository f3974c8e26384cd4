// The identifiers of a customer (following merges to the id it lives on as).
// Parameters: $customer_id
// Returns: current_id, members (list of identifier keys)
MATCH (asked:Customer {customer_id: $customer_id})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..50]->(final:Customer)
WHERE NOT (final)-[:MERGED_INTO]->(:Customer)
WITH coalesce(final, asked) AS c
RETURN c.customer_id AS current_id, [(c)<-[:BELONGS_TO]-(i:Identifier) | i.key] AS members
