// Quarantine identifiers as shared (or release them); shared identifiers join no customer.
// Parameters: $rows (list of {key, shared, reason})
// Returns: updated (count)
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
SET i.shared = row.shared, i.shared_reason = row.reason
RETURN count(i) AS updated
