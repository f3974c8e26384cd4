// Undo an override.
// Parameters: $override_id
// Returns: override_id, a, b, decision, reason, actor, created_at
MATCH (o:Override {override_id: $override_id})
WITH o, o {.override_id, .a, .b, .decision, .reason, .actor, .created_at} AS gone
DETACH DELETE o
RETURN gone.override_id AS override_id, gone.a AS a, gone.b AS b, gone.decision AS decision,
       gone.reason AS reason, gone.actor AS actor, gone.created_at AS created_at
