// Remove a webhook subscription (deliveries stop at the deliverer's next step).
// Parameters: $webhook_id
// Returns: webhook_id (no row when there was none)
MATCH (w:WebhookSubscription {webhook_id: $webhook_id})
WITH w, w.webhook_id AS webhook_id
DELETE w
RETURN webhook_id
