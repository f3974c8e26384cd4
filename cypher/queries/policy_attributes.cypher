// What the attribute policies check (app/engine/clustering.py): the attributes
// attr_<field> of every record that observed one of the identifiers. A record's
// attributes belong to every identifier it observed.
// Parameters: $keys (identifier keys), $fields (attribute names without the attr_ prefix)
// Returns: key (identifier key), record (record key), field, value (as stored)
UNWIND $keys AS k
MATCH (:Identifier {key: k})<-[:OBSERVED]-(r:Record)
UNWIND $fields AS f
WITH k, r, f, r['attr_' + f] AS value
WHERE value IS NOT NULL
RETURN k AS key, r.key AS record, f AS field, value
