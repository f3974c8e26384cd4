// Every link whose lower end's key is in ($after, $upto] (a from-scratch re-cluster pages).
// Both kinds: LINKED (seen together) and SIMILAR (look alike); a pair may have both.
// Parameters: $after, $upto (identifier keys)
// Returns: a, b, p, type ("LINKED" or "SIMILAR")
MATCH (a:Identifier)-[l:LINKED|SIMILAR]->(b:Identifier)
WHERE a.key > $after AND a.key <= $upto
RETURN a.key AS a, b.key AS b, l.match_probability AS p, type(l) AS type
