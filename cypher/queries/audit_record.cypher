// One audit entry. MERGE on the id, so a transaction the driver retries after a lost
// commit acknowledgement still leaves one entry.
// Parameters: $row (audit_id, at (ISO string), channel, actor, role, action, route,
//   targets (list), counts (JSON string), outcome, status, request_id, duration_ms)
// Returns: nothing
MERGE (a:AuditEntry {audit_id: $row.audit_id})
ON CREATE SET a += $row, a.at = datetime($row.at)
