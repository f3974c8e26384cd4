// New membership confidence for identifiers that stay in their customer.
// Parameters: $rows (list of {key, confidence})
// Returns: updated (count)
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})-[b:BELONGS_TO]->(:Customer)
SET b.confidence = row.confidence, i.membership_confidence = row.confidence
RETURN count(b) AS updated
