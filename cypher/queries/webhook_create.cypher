// A webhook subscription: where to POST, which event types, the signing secret, and the
// feed position it starts after. Delivery state starts empty.
// Parameters: $webhook_id, $url, $event_types (list, empty = all), $secret, $cursor
//   (sequence number), $now (ISO string)
// Returns: webhook_id
CREATE (w:WebhookSubscription {webhook_id: $webhook_id, url: $url, event_types: $event_types,
                               secret: $secret, cursor: $cursor, created_at: datetime($now),
                               attempts: 0, delivered: 0})
RETURN w.webhook_id AS webhook_id
