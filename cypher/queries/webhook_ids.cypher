// Every webhook subscription's id (the deliverer's round).
// Parameters: none
// Returns: webhook_id
MATCH (w:WebhookSubscription)
RETURN w.webhook_id AS webhook_id
ORDER BY webhook_id
