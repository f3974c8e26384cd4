// Write-lock identifiers before rewriting the similarity evidence on their links.
// Parameters: $keys (list of identifier keys, sorted to keep lock order stable)
// Returns: locked (count)
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
SET i.lock_seq = coalesce(i.lock_seq, 0) + 1
RETURN count(i) AS locked
