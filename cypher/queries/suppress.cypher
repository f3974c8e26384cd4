// Keep erased identifiers from being linked again (keyed hashes only).
// Parameters: $hashes (list of strings), $now (ISO string)
// Returns: suppressed (count)
UNWIND $hashes AS h
MERGE (s:Suppressed {hash: h})
ON CREATE SET s.since = datetime($now)
RETURN count(s) AS suppressed
