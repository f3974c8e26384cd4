// The history of one customer id in time order. Follows MERGED_INTO to the id it now
// lives on as, and includes the events of every id merged into that one, so asking for
// a merged-away id also shows what happened to its survivor.
// Parameters: $customer_id, $limit, $offset
// Returns: at, type, customer_id (surviving, new or split id), before, after, reason,
//   trigger_record, current_id (the id the asked one lives on as), current_status
MATCH (asked:Customer {customer_id: $customer_id})
OPTIONAL MATCH (asked)-[:MERGED_INTO*1..50]->(final:Customer)
WHERE NOT (final)-[:MERGED_INTO]->(:Customer)
WITH coalesce(final, asked) AS current
MATCH (current)<-[:MERGED_INTO*0..50]-(c:Customer)
MATCH (e:CustomerEvent)-[:ABOUT]->(c)
WITH DISTINCT current, e
RETURN e.at AS at, e.type AS type, e.customer_id AS customer_id, e.before AS before,
       e.after AS after, e.reason AS reason, e.trigger_record AS trigger_record,
       current.customer_id AS current_id, current.status AS current_status
ORDER BY at, e.event_id
SKIP $offset
LIMIT $limit
