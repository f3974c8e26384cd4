// How many identifiers each identifier is linked to, and whether it is shared now.
// Parameters: $keys (list of identifier keys)
// Returns: key, kind, degree, shared
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
RETURN i.key AS key, i.kind AS kind, COUNT { (i)-[:LINKED]-() } AS degree,
       i.shared AS shared
