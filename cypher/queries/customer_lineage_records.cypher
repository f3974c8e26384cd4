// The records that built a customer, grouped by source and in time order, one page.
// Parameters: $customer_id (an active id), $offset, $limit
// Returns: source, record_id, key, observed_at, ingested_at, identifiers (keys it observed
//          that belong to this customer), total (records in all pages)
MATCH (c:Customer {customer_id: $customer_id})<-[:BELONGS_TO]-(:Identifier)<-[:OBSERVED]-(r:Record)
WITH DISTINCT c, r
WITH c, collect(r) AS records
UNWIND records AS r
WITH c, r, size(records) AS total
ORDER BY r.source, r.observed_at, r.key
SKIP $offset
LIMIT $limit
RETURN r.source AS source, r.record_id AS record_id, r.key AS key,
       r.observed_at AS observed_at, r.ingested_at AS ingested_at,
       [(r)-[:OBSERVED]->(i:Identifier)-[:BELONGS_TO]->(c) | i.key] AS identifiers, total
