// Every override (for a from-scratch re-cluster).
// Parameters: none
// Returns: override_id, a, b, decision, reason, actor, created_at
MATCH (o:Override)
RETURN o.override_id AS override_id, o.a AS a, o.b AS b, o.decision AS decision,
       o.reason AS reason, o.actor AS actor, o.created_at AS created_at
ORDER BY o.override_id
