// What the attribute policies check (app/engine/clustering.py): the attributes
// attr_<field> of every record that observed one of the identifiers. A record's
// attributes belong to every identifier it observed. The field '@record' reads the
// record's own key (for the policies "at most one record of a source per customer").
// Parameters: $keys (identifier keys), $fields (attribute names without the attr_ prefix)
// Returns: key (identifier key), record (record key), field, value (as stored)
UNWIND $keys AS k
MATCH (:Identifier {key: k})<-[:OBSERVED]-(r:Record)
UNWIND $fields AS f
WITH k, r, f, CASE f WHEN '@record' THEN r.key ELSE r['attr_' + f] END AS value
WHERE value IS NOT NULL
RETURN k AS key, r.key AS record, f AS field, value
