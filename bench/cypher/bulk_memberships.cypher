// BENCH ONLY: bulk load of the incremental step's background graph.
// The relationship half of cypher/queries/assign_members.cypher (bulk_identifiers already
// set customer_id and membership_confidence on the identifiers).
// Parameters: $rows (list of {key, customer_id, confidence}), $now (ISO string)
// Returns: nothing
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
MATCH (c:Customer {customer_id: row.customer_id})
CREATE (i)-[:BELONGS_TO {confidence: row.confidence, since: datetime($now)}]->(c)
