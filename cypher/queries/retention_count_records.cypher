// How many records of one source were observed before a cutoff (retention's progress).
// Parameters: $source, $cutoff (ISO datetime)
// Returns: n
MATCH (r:Record {source: $source})
WHERE r.observed_at < datetime($cutoff)
RETURN count(r) AS n
