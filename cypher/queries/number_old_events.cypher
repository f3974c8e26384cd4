// Migration for graphs written before the change feed: number up to $limit history events
// that have no sequence number, oldest first (by time, then event id), after the events
// numbered already. The first SET takes the counter's write lock before anything is read,
// so two processes applying the schema at once (or a batch writing events meanwhile) never
// hand out one number twice; run it until it returns 0.
// Parameters: $limit
// Returns: numbered (count)
MERGE (s:FeedSequence {name: 'customer-events'})
SET s.next = coalesce(s.next, 0)
WITH s
CALL (s) {
  MATCH (e:CustomerEvent)
  WHERE e.seq IS NULL
  WITH e ORDER BY e.at, e.event_id
  LIMIT $limit
  RETURN collect(e) AS events
}
SET s.next = s.next + size(events)
WITH s.next - size(events) AS base, events
UNWIND range(0, size(events) - 1) AS i
WITH base + i + 1 AS seq, events[i] AS e
SET e.seq = seq
RETURN count(e) AS numbered
