// What the attribute policies check (app/engine/clustering.py): the attributes
// attr_<field> of every record that observed one of the identifiers. A record's
// attributes belong to every identifier it observed. The field '@record' reads the
// record's own key (for the policies "at most one record of a source per customer").
// One row per record (not per identifier, record and field): a record observes several
// of the identifiers of a scope, and its values are sent once.
// Parameters: $keys (identifier keys), $fields (attribute names without the attr_ prefix)
// Returns: record (record key), keys (those of $keys it observed),
//          values (list of [field, value as stored]; fields it lacks left out)
UNWIND $keys AS k
MATCH (:Identifier {key: k})<-[:OBSERVED]-(r:Record)
WITH r, collect(k) AS keys
WITH r, keys,
     [f IN $fields | [f, CASE f WHEN '@record' THEN r.key ELSE r['attr_' + f] END]] AS pairs
WITH r, keys, [p IN pairs WHERE p[1] IS NOT NULL] AS values
WHERE size(values) > 0
RETURN r.key AS record, keys, values
