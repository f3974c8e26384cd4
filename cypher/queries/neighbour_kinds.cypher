// How many distinct identifiers of each kind each identifier is linked to (shared rule).
// Identifiers with at most $min_degree links cannot be shared and are skipped, unless
// they are shared now (they may be released).
// Parameters: $keys (list of identifier keys), $min_degree (int)
// Returns: key, kind, shared, counts (list of [neighbour kind, count])
UNWIND $keys AS k
MATCH (x:Identifier {key: k})
WITH x
WHERE x.shared OR COUNT { (x)-[:LINKED]-() } > $min_degree
OPTIONAL MATCH (x)-[:LINKED]-(n:Identifier)
WITH x, n.kind AS neighbour_kind, count(n) AS n
RETURN x.key AS key, x.kind AS kind, x.shared AS shared,
       collect([neighbour_kind, n]) AS counts
