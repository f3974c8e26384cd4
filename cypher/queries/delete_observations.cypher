// Forget what replaced records observed (their old evidence).
// Parameters: $keys (list of record keys)
// Returns: removed (count)
UNWIND $keys AS k
MATCH (:Record {key: k})-[o:OBSERVED]->(:Identifier)
DELETE o
RETURN count(*) AS removed
