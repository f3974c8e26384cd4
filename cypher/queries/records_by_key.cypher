// Records by key, with everything they observed and their attributes (retention).
// Parameters: $keys (list of record keys)
// Returns: key, source, record_id, observed_at, identifiers (list of {key, kind, value}),
//          attributes (list of [name, value]; stored as attr_<name>)
UNWIND $keys AS k
MATCH (r:Record {key: k})
RETURN r.key AS key, r.source AS source, r.record_id AS record_id, r.observed_at AS observed_at,
       [(r)-[:OBSERVED]->(i:Identifier) | i {.key, .kind, .value}] AS identifiers,
       [k IN keys(r) WHERE k STARTS WITH 'attr_' | [substring(k, 5), r[k]]] AS attributes
