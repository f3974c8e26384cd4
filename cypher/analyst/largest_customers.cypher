// The largest active customers (most identifiers first), with how sure each one is and
// the link it could least afford to lose: unusually large customers are where wrong
// merges hide.
// Browser: :param limit => 25
// Parameters: $limit (int, how many customers)
// Returns: customer_id, size (identifier count), confidence (0..1), weakest_link
//   ("a -- b (p=...)" or null), kinds (identifier count per kind, e.g. "email: 2"),
//   created_at, updated_at
MATCH (c:Customer)
WHERE c.size > 0 AND c.status = 'active'
WITH c
ORDER BY c.size DESC, c.customer_id
LIMIT $limit
RETURN c.customer_id AS customer_id, c.size AS size, c.confidence AS confidence,
       c.weakest_link AS weakest_link,
       COLLECT {
         MATCH (c)<-[:BELONGS_TO]-(i:Identifier)
         WITH i.kind AS kind, count(*) AS n
         RETURN kind + ': ' + toString(n) AS kind_count
         ORDER BY kind
       } AS kinds,
       c.created_at AS created_at, c.updated_at AS updated_at
ORDER BY size DESC, customer_id
