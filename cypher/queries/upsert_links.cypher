// Write the evidence of co-observation links (always from the lower key to the higher).
// Parameters: $rows (list of {a, b, rule, records, sources, first, last (ISO), p, w})
// Returns: written (count)
UNWIND $rows AS row
MATCH (a:Identifier {key: row.a})
MATCH (b:Identifier {key: row.b})
MERGE (a)-[l:LINKED]->(b)
SET l.rule = row.rule, l.records = row.records, l.sources = row.sources,
    l.record_count = size(row.records), l.source_count = size(row.sources),
    l.first_seen = datetime(row.first), l.last_seen = datetime(row.last),
    l.match_probability = row.p, l.match_weight = row.w
RETURN count(l) AS written
