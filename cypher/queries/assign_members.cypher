// Membership of identifiers in customers, with the membership confidence.
// Parameters: $rows (list of {key, customer_id, confidence}), $now (ISO string)
// Returns: assigned (count)
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
MATCH (c:Customer {customer_id: row.customer_id})
CREATE (i)-[:BELONGS_TO {confidence: row.confidence, since: datetime($now)}]->(c)
SET i.customer_id = row.customer_id, i.membership_confidence = row.confidence
RETURN count(*) AS assigned
