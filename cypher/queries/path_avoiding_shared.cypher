// The shortest evidence path between two identifiers through no shared identifier,
// whatever the links' probabilities (explains "linked, but too weakly").
// Follows LINKED (seen together) and SIMILAR (look alike) links.
// Parameters: $a, $b (identifier keys), no more than 15 hops
// Returns: path (identifier keys in order), or no row
MATCH (a:Identifier {key: $a})
MATCH (b:Identifier {key: $b})
MATCH p = shortestPath((a)-[:LINKED|SIMILAR*..15]-(b))
WHERE all(n IN nodes(p) WHERE NOT n.shared)
RETURN [n IN nodes(p) | n.key] AS path
