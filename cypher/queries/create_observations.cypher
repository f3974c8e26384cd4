// Lineage: which record observed which identifier.
// Parameters: $rows (list of {record, identifier} keys)
// Returns: created (count)
UNWIND $rows AS row
MATCH (r:Record {key: row.record})
MATCH (i:Identifier {key: row.identifier})
CREATE (r)-[:OBSERVED {observed_at: r.observed_at}]->(i)
RETURN count(*) AS created
