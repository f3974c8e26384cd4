// Customers of the given identifiers with all their members and when they were created.
// Parameters: $keys (list of identifier keys)
// Returns: customer_id, created_at (ISO string), members (list of identifier keys)
UNWIND $keys AS k
MATCH (:Identifier {key: k})-[:BELONGS_TO]->(c:Customer)
WITH DISTINCT c
RETURN c.customer_id AS customer_id, toString(c.created_at) AS created_at,
       [(c)<-[:BELONGS_TO]-(m:Identifier) | m.key] AS members
