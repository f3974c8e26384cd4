// The current customer of identifiers.
// Parameters: $keys (list of identifier keys)
// Returns: key, customer_id, confidence
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
OPTIONAL MATCH (i)-[:BELONGS_TO]->(c:Customer)
RETURN i.key AS key, c.customer_id AS customer_id, c.confidence AS confidence
