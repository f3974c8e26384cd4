// Move a subscription's cursor forward past $sequence after a 2xx (or past events its
// filter skips), renewing the lease; nothing happens unless $owner still holds the lease.
// Parameters: $webhook_id, $owner, $sequence, $delivered (events delivered, 0 or 1),
//   $seconds (lease length)
// Returns: cursor (no row when the lease was lost or the subscription deleted)
MATCH (w:WebhookSubscription {webhook_id: $webhook_id})
WHERE w.lease_owner = $owner
SET w.cursor = CASE WHEN $sequence > w.cursor THEN $sequence ELSE w.cursor END,
    w.delivered = w.delivered + $delivered,
    w.last_success_at = CASE WHEN $delivered > 0 THEN datetime() ELSE w.last_success_at END,
    w.attempts = CASE WHEN $delivered > 0 THEN 0 ELSE w.attempts END,
    w.next_attempt_at = CASE WHEN $delivered > 0 THEN null ELSE w.next_attempt_at END,
    w.lease_until = datetime() + duration({seconds: $seconds})
RETURN w.cursor AS cursor
