// The consent statements behind a customer, latest first, with the record that made each.
// Browser: :param customer_id => 'C-3f9a2b7c1d4e5f60'
// Parameters: $customer_id
// Returns: purpose, granted, at, source, record_id, identifiers (its identifiers of the customer)
MATCH (c:Customer {customer_id: $customer_id})<-[:BELONGS_TO]-(i:Identifier)<-[:OBSERVED]-(r:Record)
WHERE r.consent_purposes IS NOT NULL
WITH r, collect(i.key) AS identifiers
UNWIND range(0, size(r.consent_purposes) - 1) AS n
RETURN r.consent_purposes[n] AS purpose, r.consent_granted[n] AS granted,
       r.consent_at[n] AS at, r.source AS source, r.record_id AS record_id, identifiers
ORDER BY at DESC, granted
