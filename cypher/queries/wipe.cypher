// Delete the whole graph in batches (tests, `idgraph demo --fresh`). Run in an implicit
// (auto-commit) transaction: CALL ... IN TRANSACTIONS cannot run inside a managed one.
// Parameters: none
// Returns: nothing
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS
