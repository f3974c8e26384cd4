// Overrides concerning the given identifiers.
// Parameters: $keys (list of identifier keys)
// Returns: override_id, a, b, decision, reason, actor, created_at
UNWIND $keys AS k
MATCH (:Identifier {key: k})<-[:CONCERNS]-(o:Override)
RETURN DISTINCT o.override_id AS override_id, o.a AS a, o.b AS b, o.decision AS decision,
       o.reason AS reason, o.actor AS actor, o.created_at AS created_at
