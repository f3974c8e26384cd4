// BENCH ONLY: bulk load of the incremental step's background graph.
// Mirrors cypher/queries/create_events.cypher for the "created" event of each customer,
// numbered for the change feed the same way (the FeedSequence counter).
// Parameters: $rows (list of {id, event_id, reason, trigger, ...}), $now (ISO string)
// Returns: nothing
MERGE (s:FeedSequence {name: 'customer-events'})
SET s.next = coalesce(s.next, 0) + size($rows)
WITH s.next - size($rows) AS base
UNWIND range(0, size($rows) - 1) AS i
WITH base + i + 1 AS seq, $rows[i] AS row
MATCH (c:Customer {customer_id: row.id})
CREATE (e:CustomerEvent {event_id: row.event_id, type: 'created', seq: seq, customer_id: row.id,
                         before: [], after: [row.id], reason: row.reason,
                         trigger_record: row.trigger, at: datetime($now)})
CREATE (e)-[:ABOUT]->(c)
