// How many identifiers of one kind were last seen before a cutoff (retention's progress).
// Parameters: $kind, $cutoff (ISO datetime)
// Returns: n
MATCH (i:Identifier {kind: $kind})
WHERE i.last_seen < datetime($cutoff)
RETURN count(i) AS n
