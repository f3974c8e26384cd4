// The change feed: history events numbered after $after, in sequence (commit) order.
// Parameters: $after (sequence number, 0 for the beginning), $limit
// Returns: seq, event_id, at (ISO string), type, customer_id, before, after, reason,
//   trigger_record
MATCH (e:CustomerEvent)
WHERE e.seq > $after
RETURN e.seq AS seq, e.event_id AS event_id, toString(e.at) AS at, e.type AS type,
       e.customer_id AS customer_id, e.before AS before, e.after AS after,
       e.reason AS reason, e.trigger_record AS trigger_record
ORDER BY seq
LIMIT $limit
