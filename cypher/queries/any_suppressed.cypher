// Whether any identifier is suppressed (a count-store lookup).
// Parameters: none
// Returns: n
MATCH (s:Suppressed)
RETURN count(s) AS n
