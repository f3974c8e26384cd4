// How many source records the graph holds.
// Parameters: none
// Returns: n
MATCH (r:Record)
RETURN count(r) AS n
