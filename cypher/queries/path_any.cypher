// The shortest evidence path between two identifiers through any identifiers (shared
// ones included): explains "joined only through a quarantined identifier".
// Follows LINKED (seen together) and SIMILAR (look alike) links.
// Parameters: $a, $b (identifier keys), no more than 15 hops
// Returns: path (identifier keys in order), shared (keys on it that are shared), or no row
MATCH (a:Identifier {key: $a})
MATCH (b:Identifier {key: $b})
MATCH p = shortestPath((a)-[:LINKED|SIMILAR*..15]-(b))
RETURN [n IN nodes(p) | n.key] AS path,
       [n IN nodes(p) WHERE n.shared | n {.key, .shared_reason}] AS shared
