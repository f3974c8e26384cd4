// Data-subject export, section "history": events about the customer and the ids merged into
// it, and events of customers its identifiers left that name one of them or its records.
// Parameters: $customer_ids, $identifiers, $records, $past_customer_ids
// Returns: row (map: every property of the event)
CALL () {
  UNWIND $customer_ids AS id
  MATCH (e:CustomerEvent)-[:ABOUT]->(:Customer {customer_id: id})
  RETURN e
  UNION
  UNWIND $past_customer_ids AS id
  MATCH (e:CustomerEvent)-[:ABOUT]->(:Customer {customer_id: id})
  WHERE e.trigger_record IN $records OR any(k IN $identifiers WHERE e.reason CONTAINS k)
  RETURN e
}
WITH DISTINCT e
RETURN e {.*} AS row
ORDER BY e.at, e.event_id
