// What the matcher compares: a record's attributes and identifiers.
// Parameters: $keys (list of record keys)
// Returns: key, observed_at (ISO string), attributes (list of [name, value]; stored as
//          attr_<name>), identifiers (list of identifier keys)
UNWIND $keys AS k
MATCH (r:Record {key: k})
RETURN r.key AS key, toString(r.observed_at) AS observed_at,
       [k IN keys(r) WHERE k STARTS WITH 'attr_' | [substring(k, 5), r[k]]] AS attributes,
       [(r)-[:OBSERVED]->(i:Identifier) | i.key] AS identifiers
