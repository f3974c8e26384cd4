// When each record was observed.
// Parameters: $keys (list of record keys)
// Returns: key, observed_at (ISO string)
UNWIND $keys AS k
MATCH (r:Record {key: k})
RETURN r.key AS key, toString(r.observed_at) AS observed_at
