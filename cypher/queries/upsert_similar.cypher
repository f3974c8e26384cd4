// Write the similarity evidence between the anchors of records that look alike
// (always from the lower key to the higher). One link may carry several record pairs.
// Parameters: $rows (list of {a, b, rule, pairs, pair_probabilities, comparisons, records,
//   sources, first, last (ISO), p, w, model})
// Returns: written (count)
UNWIND $rows AS row
MATCH (a:Identifier {key: row.a})
MATCH (b:Identifier {key: row.b})
MERGE (a)-[s:SIMILAR]->(b)
SET s.rule = row.rule, s.pairs = row.pairs, s.pair_probabilities = row.pair_probabilities,
    s.comparisons = row.comparisons, s.records = row.records, s.sources = row.sources,
    s.record_count = size(row.records), s.source_count = size(row.sources),
    s.first_seen = datetime(row.first), s.last_seen = datetime(row.last),
    s.match_probability = row.p, s.match_weight = row.w, s.model_version = row.model
RETURN count(s) AS written
