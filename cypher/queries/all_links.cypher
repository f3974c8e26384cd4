// Every link whose lower end's key is in ($after, $upto] (a from-scratch re-cluster pages).
// Parameters: $after, $upto (identifier keys)
// Returns: a, b, p
MATCH (a:Identifier)-[l:LINKED]->(b:Identifier)
WHERE a.key > $after AND a.key <= $upto
RETURN a.key AS a, b.key AS b, l.match_probability AS p
