// Identifiers of one kind last seen before a cutoff, in key order, one page (retention).
// Parameters: $kind, $cutoff (ISO datetime), $after (identifier key; '' from the start), $limit
// Returns: key
MATCH (i:Identifier {kind: $kind})
WHERE i.last_seen < datetime($cutoff) AND i.key > $after
RETURN i.key AS key
ORDER BY key
LIMIT $limit
