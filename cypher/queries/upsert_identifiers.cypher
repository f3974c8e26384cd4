// Create identifiers or fold this batch's observations into their statistics. A node
// whose record_count equals this batch's count was created here (existing ones had >= 1).
// Each row's two times are parsed once.
// Parameters: $rows (list of {key, kind, value, first, last (ISO), sources, count})
// Returns: created (keys of identifiers this statement created)
UNWIND $rows AS row
WITH row, datetime(row.first) AS first, datetime(row.last) AS last
MERGE (i:Identifier {key: row.key})
ON CREATE SET i.kind = row.kind, i.value = row.value, i.shared = false,
              i.first_seen = first, i.last_seen = last,
              i.sources = row.sources, i.record_count = row.count
ON MATCH SET i.first_seen = CASE WHEN first < i.first_seen THEN first ELSE i.first_seen END,
             i.last_seen = CASE WHEN last > i.last_seen THEN last ELSE i.last_seen END,
             i.sources = i.sources + [s IN row.sources WHERE NOT s IN i.sources],
             i.record_count = i.record_count + row.count
WITH i, row WHERE i.record_count = row.count
RETURN collect(i.key) AS created
