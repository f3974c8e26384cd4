// The key of the keyed hash that stands in for erased identifiers (created once).
// Parameters: $candidate (a fresh random key, used only if none exists yet)
// Returns: value
MERGE (s:Secret {name: 'erasure_hmac_key'})
ON CREATE SET s.value = $candidate
RETURN s.value AS value
