// Drop the current membership of identifiers about to be re-assigned, keeping it as
// history (WAS_MEMBER with since/until) so a customer can be read as of a past time.
// Parameters: $keys (list of identifier keys), $now (ISO string)
// Returns: cleared (count)
UNWIND $keys AS k
MATCH (i:Identifier {key: k})-[b:BELONGS_TO]->(c:Customer)
CREATE (i)-[:WAS_MEMBER {since: b.since, until: datetime($now), confidence: b.confidence}]->(c)
DELETE b
SET i.customer_id = null, i.membership_confidence = null
RETURN count(DISTINCT i) AS cleared
