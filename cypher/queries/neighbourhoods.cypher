// The neighbourhood of identifiers: each neighbour with its own neighbours (none for hubs).
// Parameters: $keys (identifier keys), $hub_degree (int)
// Returns: key, neighbours (list of [neighbour key, is_hub, its neighbour keys])
UNWIND $keys AS k
MATCH (x:Identifier {key: k})-[:LINKED]-(n:Identifier)
WITH x, n, COUNT { (n)-[:LINKED]-() } AS degree
WITH x, n, degree > $hub_degree AS hub
RETURN x.key AS key,
       collect([n.key, hub, CASE WHEN hub THEN [] ELSE [(n)-[:LINKED]-(m) | m.key] END])
         AS neighbours
