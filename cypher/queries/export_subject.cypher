// Whom a data-subject export is about: the customer (following merges), the ids merged into
// it, its identifiers and records, and the customers its identifiers belonged to before.
// Parameters: $customer_id
// Returns: current_id, status, customer_ids (current and every id merged into it), members
//          (identifier keys), records (keys of records observing a member), identifiers
//          (members and every identifier those records observed), past_customer_ids
MATCH (asked:Customer {customer_id: $customer_id})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..50]->(final:Customer)
WHERE NOT (final)-[:MERGED_INTO]->(:Customer)
WITH coalesce(final, asked) AS c
WITH c, COLLECT { MATCH (c)<-[:MERGED_INTO*0..50]-(m:Customer) RETURN DISTINCT m.customer_id } AS ids,
     [(c)<-[:BELONGS_TO]-(i:Identifier) | i.key] AS members
WITH c, ids, members,
     COLLECT {
       MATCH (c)<-[:BELONGS_TO]-(:Identifier)<-[:OBSERVED]-(r:Record)
       RETURN DISTINCT r.key
     } AS records
RETURN c.customer_id AS current_id, c.status AS status, ids AS customer_ids, members, records,
       COLLECT {
         UNWIND records AS rk
         MATCH (:Record {key: rk})-[:OBSERVED]->(i:Identifier)
         RETURN DISTINCT i.key
       } AS identifiers,
       COLLECT {
         UNWIND members AS k
         MATCH (:Identifier {key: k})-[:WAS_MEMBER]->(p:Customer)
         WHERE NOT p.customer_id IN ids
         RETURN DISTINCT p.customer_id
       } AS past_customer_ids
