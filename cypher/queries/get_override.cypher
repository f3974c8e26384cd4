// One override.
// Parameters: $override_id
// Returns: override_id, a, b, decision, reason, actor, created_at
MATCH (o:Override {override_id: $override_id})
RETURN o.override_id AS override_id, o.a AS a, o.b AS b, o.decision AS decision,
       o.reason AS reason, o.actor AS actor, o.created_at AS created_at
