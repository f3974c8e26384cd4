// A customer as it stood at $at: members then (current and past memberships), whether it
// had been merged away by then, and the records of those members ingested by then.
// Parameters: $customer_id, $at (ISO string)
// Returns: customer (map), exists_then, merged_into (id or null), identifiers (list of maps),
//          records (list of maps)
MATCH (c:Customer {customer_id: $customer_id})
WITH c, datetime($at) AS at
OPTIONAL MATCH (c)-[m:MERGED_INTO]->(into:Customer)
WITH c, at, CASE WHEN m IS NOT NULL AND m.at <= at THEN into.customer_id END AS merged_into
WITH c, at, merged_into,
     [(c)<-[b:BELONGS_TO]-(i:Identifier) WHERE b.since <= at |
       i {.key, .kind, .value, .first_seen, .sources, confidence: b.confidence}] +
     [(c)<-[w:WAS_MEMBER]-(i:Identifier) WHERE w.since <= at AND at < w.until |
       i {.key, .kind, .value, .first_seen, .sources, confidence: w.confidence}] AS identifiers
RETURN c {.customer_id, .created_at} AS customer, c.created_at <= at AS exists_then,
       merged_into, identifiers,
       COLLECT {
         UNWIND identifiers AS x
         MATCH (:Identifier {key: x.key})<-[:OBSERVED]-(r:Record)
         WHERE r.ingested_at <= at
         RETURN DISTINCT r {.*} AS record
       } AS records
