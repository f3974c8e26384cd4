// History: one event per create / merge / split / retire, pointing at every id it names.
// Parameters: $rows (list of {event_id, type, customer_id, before, after, reason,
//   trigger_record}), $now (ISO string)
// Returns: created (count)
UNWIND $rows AS row
CREATE (e:CustomerEvent {event_id: row.event_id, type: row.type,
                         customer_id: row.customer_id, before: row.before, after: row.after,
                         reason: row.reason, trigger_record: row.trigger_record,
                         at: datetime($now)})
WITH e, row
UNWIND row.before + row.after AS id
WITH DISTINCT e, id
MATCH (c:Customer {customer_id: id})
MERGE (e)-[:ABOUT]->(c)
RETURN count(DISTINCT e) AS created
