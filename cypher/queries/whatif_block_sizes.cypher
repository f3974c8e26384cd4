// What-if (read-only): how many records each blocking key holds now.
// Parameters: $keys (block keys)
// Returns: block, size (blocks that do not exist yet are left out)
UNWIND $keys AS k
MATCH (b:Block {key: k})
RETURN b.key AS block, b.size AS size
