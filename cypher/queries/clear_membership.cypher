// Drop the current membership of identifiers about to be re-assigned.
// Parameters: $keys (list of identifier keys)
// Returns: cleared (count)
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
OPTIONAL MATCH (i)-[b:BELONGS_TO]->(:Customer)
DELETE b
SET i.customer_id = null, i.membership_confidence = null
RETURN count(DISTINCT i) AS cleared
