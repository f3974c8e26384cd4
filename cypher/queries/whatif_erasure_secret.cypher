// What-if (read-only): the keyed-hash key of erased identifiers, if one was created.
// Parameters: none
// Returns: value
MATCH (s:Secret {name: 'erasure_hmac_key'})
RETURN s.value AS value
