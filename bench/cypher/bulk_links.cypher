// BENCH ONLY: bulk load of the incremental step's background graph (no link exists yet).
// Mirrors cypher/queries/upsert_links.cypher: one LINKED from the lower key to the higher.
// Parameters: $rows (list of {a, b, rule, records, sources, first, last (ISO), p, w})
// Returns: nothing
UNWIND $rows AS row
MATCH (a:Identifier {key: row.a})
MATCH (b:Identifier {key: row.b})
CREATE (a)-[l:LINKED]->(b)
SET l.rule = row.rule, l.records = row.records, l.sources = row.sources,
    l.record_count = size(row.records), l.source_count = size(row.sources),
    l.first_seen = datetime(row.first), l.last_seen = datetime(row.last),
    l.match_probability = row.p, l.match_weight = row.w
