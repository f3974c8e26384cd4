// History: one event per create / merge / split / retire / override / erase, pointing at
// every id it names, numbered for the change feed. The SET reads s.next on its right-hand
// side, so Cypher takes the counter's write lock before reading it; the lock is held to
// commit, so the transaction holding number N commits before any transaction can take N+1
// (README, "Change feed").
// Parameters: $rows (list of {event_id, type, customer_id, before, after, reason,
//   trigger_record}), $now (ISO string)
// Returns: created (count)
MERGE (s:FeedSequence {name: 'customer-events'})
SET s.next = coalesce(s.next, 0) + size($rows)
WITH s.next - size($rows) AS base
UNWIND range(0, size($rows) - 1) AS i
WITH base + i + 1 AS seq, $rows[i] AS row
CREATE (e:CustomerEvent {event_id: row.event_id, type: row.type, seq: seq,
                         customer_id: row.customer_id, before: row.before, after: row.after,
                         reason: row.reason, trigger_record: row.trigger_record,
                         at: datetime($now)})
WITH e, row
UNWIND row.before + row.after AS id
WITH DISTINCT e, id
MATCH (c:Customer {customer_id: id})
MERGE (e)-[:ABOUT]->(c)
RETURN count(DISTINCT e) AS created
