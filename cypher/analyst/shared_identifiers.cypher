// Quarantined shared identifiers (a support line, test@test.com): why each was quarantined,
// how many identifiers it is linked to and its strongest neighbours, most linked first.
// Shared identifiers keep their evidence but join no customer.
// Browser: :param limit => 25
// Parameters: $limit (int, how many identifiers)
// Returns: key, kind, shared_reason, degree (LINKED count), record_count, sources,
//   top_neighbours (up to 5 maps {key, customer_id, match_probability}, strongest first)
MATCH (i:Identifier)
WHERE i.shared = true
WITH i, COUNT { (i)-[:LINKED]-(:Identifier) } AS degree
ORDER BY degree DESC, i.key
LIMIT $limit
RETURN i.key AS key, i.kind AS kind, i.shared_reason AS shared_reason, degree,
       i.record_count AS record_count, i.sources AS sources,
       COLLECT {
         MATCH (i)-[l:LINKED]-(n:Identifier)
         RETURN n {.key, .customer_id, match_probability: l.match_probability} AS neighbour
         ORDER BY l.match_probability DESC, n.key
         LIMIT 5
       } AS top_neighbours
ORDER BY degree DESC, key
