// Every webhook subscription is unique by its webhook_id.
CREATE CONSTRAINT webhook_id IF NOT EXISTS FOR (w:WebhookSubscription) REQUIRE w.webhook_id IS UNIQUE
