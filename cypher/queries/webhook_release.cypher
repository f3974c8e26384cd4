// Give up this process's delivery leases (at shutdown), so another process takes over at
// once instead of when they expire.
// Parameters: $owner
// Returns: released (count)
MATCH (w:WebhookSubscription)
WHERE w.lease_owner = $owner
SET w.lease_owner = null, w.lease_until = null
RETURN count(w) AS released
