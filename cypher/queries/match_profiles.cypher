// What the matcher compares: a record's attributes and identifiers.
// Parameters: $keys (list of record keys)
// Returns: key, observed_at, props (all record properties; attributes are attr_<name>),
//          identifiers (list of identifier keys)
UNWIND $keys AS k
MATCH (r:Record {key: k})
RETURN r.key AS key, r.observed_at AS observed_at, properties(r) AS props,
       [(r)-[:OBSERVED]->(i:Identifier) | i.key] AS identifiers
