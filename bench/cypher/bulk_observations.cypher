// BENCH ONLY: bulk load of the incremental step's background graph.
// Same statement as cypher/queries/create_observations.cypher.
// Parameters: $rows (list of {record, identifier} keys)
// Returns: nothing
UNWIND $rows AS row
MATCH (r:Record {key: row.record})
MATCH (i:Identifier {key: row.identifier})
CREATE (r)-[:OBSERVED {observed_at: r.observed_at}]->(i)
