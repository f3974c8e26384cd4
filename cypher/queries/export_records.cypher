// Data-subject export, section "records": each source record as stored, what it observed
// and the blocking keys it is filed under.
// Parameters: $customer_ids, $identifiers, $records, $past_customer_ids
// Returns: row (map: every property, attributes as attr_<name>; observed: list of
//          {identifier, observed_at}; blocks: list of block keys)
UNWIND $records AS k
MATCH (r:Record {key: k})
RETURN r {.*,
          observed: [(r)-[o:OBSERVED]->(i:Identifier) | o {.*, identifier: i.key}],
          blocks: [(r)-[:IN_BLOCK]->(b:Block) | b.key]} AS row
ORDER BY r.source, r.observed_at, r.key
