"""Webhooks (``/v1/webhooks``): the change feed pushed to subscribers, signed, at least once."""
