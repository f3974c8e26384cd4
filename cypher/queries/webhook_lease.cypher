// Take or renew the delivery lease of one subscription: only one API process delivers a
// subscription at a time. The first SET reads the lease on its right-hand side, so Cypher
// write-locks the node before reading it: two processes cannot both see it free. Times are
// the database's clock, shared by every replica.
// Parameters: $webhook_id, $owner (this process), $seconds (lease length)
// Returns: held (bool), ready (no back-off pending), url, event_types, secret, cursor,
//   attempts
MATCH (w:WebhookSubscription {webhook_id: $webhook_id})
SET w.lease_owner = CASE
      WHEN w.lease_owner IS NULL OR w.lease_owner = $owner OR w.lease_until < datetime()
      THEN $owner ELSE w.lease_owner END
WITH w
SET w.lease_until = CASE WHEN w.lease_owner = $owner
      THEN datetime() + duration({seconds: $seconds}) ELSE w.lease_until END
RETURN w.lease_owner = $owner AS held,
       w.next_attempt_at IS NULL OR w.next_attempt_at <= datetime() AS ready,
       w.url AS url, w.event_types AS event_types, w.secret AS secret, w.cursor AS cursor,
       w.attempts AS attempts
