// The last sequence number the change feed handed out (0 when none was).
// Parameters: none
// Returns: head
OPTIONAL MATCH (s:FeedSequence {name: 'customer-events'})
RETURN coalesce(s.next, 0) AS head
