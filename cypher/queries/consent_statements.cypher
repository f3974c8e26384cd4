// The consent statements of the records observing any of the given identifiers: the
// records of a customer when $keys are its members.
// Parameters: $keys (list of identifier keys)
// Returns: key, source, record_id, ingested_at (ISO string), identifiers (the keys of $keys
//          the record observed), purposes, granted, at (parallel lists; at as ISO strings)
UNWIND $keys AS k
MATCH (:Identifier {key: k})<-[:OBSERVED]-(r:Record)
WHERE r.consent_purposes IS NOT NULL
WITH r, collect(k) AS identifiers
RETURN r.key AS key, r.source AS source, r.record_id AS record_id,
       toString(r.ingested_at) AS ingested_at, identifiers,
       r.consent_purposes AS purposes, r.consent_granted AS granted,
       [t IN r.consent_at | toString(t)] AS at
ORDER BY key
