// Data-subject export, section "identifiers": each with its memberships, now and past.
// Parameters: $customer_ids, $identifiers, $records, $past_customer_ids
// Returns: row (map: every property, and memberships: list of {type, customer_id, since,
//          until, confidence})
UNWIND $identifiers AS k
MATCH (i:Identifier {key: k})
RETURN i {.*,
          memberships: [(i)-[m:BELONGS_TO|WAS_MEMBER]->(c:Customer) |
                        m {.*, type: type(m), customer_id: c.customer_id}]} AS row
ORDER BY i.key
