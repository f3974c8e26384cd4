// A customer's profile: itself (following merges), identifiers and the records behind them.
// Parameters: $customer_id
// Returns: customer (map), requested_status, identifiers (list of maps), records (list of maps),
//          shared (list of maps of shared identifiers linked to its members)
MATCH (asked:Customer {customer_id: $customer_id})
OPTIONAL MATCH path = (asked)-[:MERGED_INTO*1..50]->(final:Customer)
WHERE NOT (final)-[:MERGED_INTO]->()
WITH asked, coalesce(final, asked) AS c
RETURN asked.status AS requested_status, c {.*} AS customer,
       [(c)<-[b:BELONGS_TO]-(i:Identifier) | i {.kind, .value, .first_seen, .last_seen,
         .sources, confidence: b.confidence}] AS identifiers,
       COLLECT {
         MATCH (c)<-[:BELONGS_TO]-(:Identifier)<-[:OBSERVED]-(r:Record)
         RETURN DISTINCT r {.*} AS record
       } AS records,
       COLLECT {
         MATCH (c)<-[:BELONGS_TO]-(:Identifier)-[:LINKED]-(s:Identifier {shared: true})
         RETURN DISTINCT s {.kind, .value, .shared_reason} AS shared
       } AS shared
