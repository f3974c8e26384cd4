// Records of one source observed before a cutoff, in key order, one page (retention).
// Parameters: $source, $cutoff (ISO datetime), $after (record key; '' from the start), $limit
// Returns: key
MATCH (r:Record {source: $source})
WHERE r.observed_at < datetime($cutoff) AND r.key > $after
RETURN r.key AS key
ORDER BY key
LIMIT $limit
