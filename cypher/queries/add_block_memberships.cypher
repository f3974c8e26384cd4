// Put records into their blocks (creating blocks as needed) and count the members.
// Setting size also write-locks the block, so concurrent batches adding to one block
// serialise and each sees the other's members.
// Parameters: $rows (list of {record, block} keys)
// Returns: block, size (after this statement)
UNWIND $rows AS row
MATCH (r:Record {key: row.record})
MERGE (b:Block {key: row.block})
  ON CREATE SET b.size = 0, b.rule = split(row.block, ':')[0]
CREATE (r)-[:IN_BLOCK]->(b)
SET b.size = b.size + 1
RETURN b.key AS block, b.size AS size
