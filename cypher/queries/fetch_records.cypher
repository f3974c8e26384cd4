// Existing records of a batch: their content hash and the identifiers they observed.
// Parameters: $keys (list of record keys "source|record_id")
// Returns: key, content_hash, identifiers (list of identifier keys)
UNWIND $keys AS k
MATCH (r:Record {key: k})
RETURN r.key AS key, r.content_hash AS content_hash,
       [(r)-[:OBSERVED]->(i:Identifier) | i.key] AS identifiers
