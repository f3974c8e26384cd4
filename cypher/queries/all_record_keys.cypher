// Record keys in ($after, ...] in key order, a page at a time (re-matching pages records).
// Parameters: $after (record key), $limit (int)
// Returns: key
MATCH (r:Record)
WHERE r.key > $after
RETURN r.key AS key
ORDER BY key
LIMIT $limit
