// A page of the audit log, newest first. Ids sort as their times, so the id range
// [$floor, $before) is a seek on the audit_id constraint's index, in index order.
// Parameters: $floor, $before (audit ids or their time prefixes), $action, $actor,
//   $outcome, $target (each null for any), $limit
// Returns: audit_id, at (ISO string), channel, actor, role, action, route, targets,
//   counts (JSON string), outcome, status, request_id, duration_ms
MATCH (a:AuditEntry)
WHERE a.audit_id >= $floor AND a.audit_id < $before
  AND ($action IS NULL OR a.action = $action)
  AND ($actor IS NULL OR a.actor = $actor)
  AND ($outcome IS NULL OR a.outcome = $outcome)
  AND ($target IS NULL OR $target IN a.targets)
RETURN a.audit_id AS audit_id, toString(a.at) AS at, a.channel AS channel, a.actor AS actor,
       a.role AS role, a.action AS action, a.route AS route, a.targets AS targets,
       a.counts AS counts, a.outcome AS outcome, a.status AS status,
       a.request_id AS request_id, a.duration_ms AS duration_ms
ORDER BY a.audit_id DESC
LIMIT $limit
