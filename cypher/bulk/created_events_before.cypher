// After a bulk import: give its events ("created", and "consent" of a new customer) the
// empty `before` list the live path writes (the importer cannot express an empty list: an
// empty field is no property). Run until it returns 0.
// Parameters: $limit (events per transaction)
// Returns: updated (count)
MATCH (e:CustomerEvent)
WHERE e.before IS NULL
WITH e LIMIT $limit
SET e.before = []
RETURN count(e) AS updated
