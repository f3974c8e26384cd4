// BENCH ONLY: bulk load of the incremental step's background graph.
// Mirrors cypher/queries/create_events.cypher for the "created" event of each customer.
// Parameters: $rows (list of {id, event_id, reason, trigger, ...}), $now (ISO string)
// Returns: nothing
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.id})
CREATE (e:CustomerEvent {event_id: row.event_id, type: 'created', customer_id: row.id,
                         before: [], after: [row.id], reason: row.reason,
                         trigger_record: row.trigger, at: datetime($now)})
CREATE (e)-[:ABOUT]->(c)
