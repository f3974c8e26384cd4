// Webhook subscriptions with their delivery status and lag (never the secret). Lag counts
// the feed's events after the subscription's cursor, and the age of the first of them.
// Parameters: $webhook_id (null for every subscription)
// Returns: webhook_id, url, event_types, created_at, cursor, delivered, attempts,
//   last_success_at, last_error, last_error_at, next_attempt_at, lease_until (ISO strings
//   or null), lag_events, lag_seconds
OPTIONAL MATCH (s:FeedSequence {name: 'customer-events'})
WITH coalesce(s.next, 0) AS head
MATCH (w:WebhookSubscription)
WHERE $webhook_id IS NULL OR w.webhook_id = $webhook_id
OPTIONAL MATCH (e:CustomerEvent {seq: w.cursor + 1})
RETURN w.webhook_id AS webhook_id, w.url AS url, w.event_types AS event_types,
       toString(w.created_at) AS created_at, w.cursor AS cursor, w.delivered AS delivered,
       w.attempts AS attempts, toString(w.last_success_at) AS last_success_at,
       w.last_error AS last_error, toString(w.last_error_at) AS last_error_at,
       toString(w.next_attempt_at) AS next_attempt_at, toString(w.lease_until) AS lease_until,
       CASE WHEN head > w.cursor THEN head - w.cursor ELSE 0 END AS lag_events,
       CASE WHEN e IS NULL THEN 0.0
            ELSE duration.inSeconds(e.at, datetime()).seconds END AS lag_seconds
ORDER BY w.created_at, w.webhook_id
