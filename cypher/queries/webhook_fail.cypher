// A delivery failed (no answer, or not 2xx): count the attempt, keep the error (no body,
// no secret) and hold the next attempt back for $delay seconds. The cursor stays.
// Parameters: $webhook_id, $owner, $error, $delay (seconds)
// Returns: attempts (no row when the lease was lost or the subscription deleted)
MATCH (w:WebhookSubscription {webhook_id: $webhook_id})
WHERE w.lease_owner = $owner
SET w.attempts = w.attempts + 1,
    w.last_error = $error,
    w.last_error_at = datetime(),
    w.next_attempt_at = datetime() + duration({seconds: $delay})
RETURN w.attempts AS attempts
