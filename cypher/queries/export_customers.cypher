// Data-subject export, section "customers": the customer and the ids merged into it.
// Parameters: $customer_ids, $identifiers, $records, $past_customer_ids
// Returns: row (map: every property, and merged_at for a merged-away id)
UNWIND $customer_ids AS id
MATCH (c:Customer {customer_id: id})
RETURN c {.*, merged_at: [(c)-[m:MERGED_INTO]->(:Customer) | m.at][0]} AS row
ORDER BY c.created_at, c.customer_id
