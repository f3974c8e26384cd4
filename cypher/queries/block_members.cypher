// The records in each given block that is not oversized (at most $max_block members).
// Parameters: $blocks (list of block keys), $max_block (int)
// Returns: block, members (list of record keys)
UNWIND $blocks AS k
MATCH (b:Block {key: k})
WHERE b.size <= $max_block
RETURN b.key AS block, [(b)<-[:IN_BLOCK]-(r:Record) | r.key] AS members
