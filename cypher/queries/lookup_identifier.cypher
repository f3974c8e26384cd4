// Which customer is this identifier? (The lookup API's one index seek.)
// Parameters: $key (identifier key "kind:value")
// Returns: kind, value, shared, shared_reason, customer_id, confidence
MATCH (i:Identifier {key: $key})
OPTIONAL MATCH (i)-[:BELONGS_TO]->(c:Customer)
RETURN i.kind AS kind, i.value AS value, i.shared AS shared,
       i.shared_reason AS shared_reason, c.customer_id AS customer_id,
       c.confidence AS confidence
