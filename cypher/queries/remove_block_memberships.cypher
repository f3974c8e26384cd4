// Take records out of all their blocks (records replaced or erased); empty blocks go.
// Parameters: $keys (list of record keys)
// Returns: block, size (after removal; 0 = the block was deleted), lost (members removed)
UNWIND $keys AS k
MATCH (:Record {key: k})-[m:IN_BLOCK]->(b:Block)
WITH b, collect(m) AS memberships
FOREACH (m IN memberships | DELETE m)
SET b.size = b.size - size(memberships)
WITH b, b.key AS block, b.size AS size, size(memberships) AS lost
CALL (b, size) {
  WITH b WHERE size <= 0
  DELETE b
}
RETURN block, size, lost
