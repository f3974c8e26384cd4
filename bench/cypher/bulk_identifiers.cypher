// BENCH ONLY: bulk load of the incremental step's background graph (empty graph assumed).
// Mirrors cypher/queries/upsert_identifiers.cypher (ON CREATE), then set_shared.cypher for
// quarantined identifiers and the node half of assign_members.cypher for members.
// Parameters: $rows (list of {key, kind, value, shared, reason, first, last (ISO), sources,
//   count, customer_id, confidence}); reason, customer_id and confidence may be null
// Returns: nothing
UNWIND $rows AS row
CREATE (i:Identifier {key: row.key})
SET i.kind = row.kind, i.value = row.value, i.shared = row.shared,
    i.shared_reason = row.reason,
    i.first_seen = datetime(row.first), i.last_seen = datetime(row.last),
    i.sources = row.sources, i.record_count = row.count,
    i.customer_id = row.customer_id, i.membership_confidence = row.confidence
