// What-if (read-only): customers met by the scope walk, with their members. Unlike
// expand_customers.cypher it takes no lock: nothing will be written.
// Parameters: $ids (customer ids)
// Returns: customer_id, created_at (ISO string), members (list of identifier keys)
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
RETURN c.customer_id AS customer_id, toString(c.created_at) AS created_at,
       [(c)<-[:BELONGS_TO]-(m:Identifier) | m.key] AS members
