// Blocks by size: the blocking keys records share (e.g. 'sx_year:S530|1990', soundex of
// the surname and birth year) with their rule. A block with more than $max_block records
// (IDGRAPH_MATCH_MAX_BLOCK, default 200) is too unselective: it yields no candidate pairs,
// so records that share only that key are never compared. Term blocks ('tf:...', which
// count how many records hold a value for term-frequency adjustments) are left out.
// Browser: :param max_block => 200
// Browser: :param limit => 25
// Parameters: $max_block (int, the configured IDGRAPH_MATCH_MAX_BLOCK), $limit (int, how
//   many blocks)
// Returns: key, rule (sx_year, pc_init, dob, nid, names, email_local, phone7), size
//   (records in it), oversized (size > $max_block: yields no candidates),
//   sample_records (up to 5 record keys)
MATCH (b:Block)
WHERE NOT b.key STARTS WITH 'tf:'
WITH b
ORDER BY b.size DESC, b.key
LIMIT $limit
RETURN b.key AS key, b.rule AS rule, b.size AS size, b.size > $max_block AS oversized,
       COLLECT {
         MATCH (b)<-[:IN_BLOCK]-(r:Record)
         RETURN r.key AS record
         ORDER BY record
         LIMIT 5
       } AS sample_records
ORDER BY size DESC, key
