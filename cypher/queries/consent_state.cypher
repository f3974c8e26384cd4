// The consent of customers as last derived (what history compares a new derivation with).
// Parameters: $ids (list of customer ids)
// Returns: id, granted (purposes), withdrawn (purposes); customers with neither are left out
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
WHERE c.consent_granted IS NOT NULL OR c.consent_withdrawn IS NOT NULL
RETURN c.customer_id AS id, c.consent_granted AS granted, c.consent_withdrawn AS withdrawn
