// How many identifiers are quarantined as shared now (the /metrics gauge).
// Parameters: $kinds (identifier kinds: an index seek on (kind, shared) per kind)
// Returns: shared
MATCH (i:Identifier)
WHERE i.kind IN $kinds AND i.shared = true
RETURN count(i) AS shared
