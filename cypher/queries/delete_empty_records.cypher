// Delete records left with no observation (everything they carried was erased).
// Parameters: $keys (list of record keys)
// Returns: deleted (count)
UNWIND $keys AS k
MATCH (r:Record {key: k})
WHERE NOT (r)-[:OBSERVED]->()
DELETE r
RETURN count(*) AS deleted
