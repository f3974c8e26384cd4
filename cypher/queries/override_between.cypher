// An existing override between two identifiers, if any.
// Parameters: $a, $b (identifier keys)
// Returns: override_id, decision
MATCH (:Identifier {key: $a})<-[:CONCERNS]-(o:Override)-[:CONCERNS]->(:Identifier {key: $b})
RETURN o.override_id AS override_id, o.decision AS decision
