// Record an analyst's decision that two identifiers are the same customer or different.
// Parameters: $override_id, $a, $b (identifier keys), $decision ('same' | 'different'),
//   $reason, $actor, $now (ISO string)
// Returns: override_id
MATCH (a:Identifier {key: $a})
MATCH (b:Identifier {key: $b})
CREATE (o:Override {override_id: $override_id, a: $a, b: $b, decision: $decision,
                    reason: $reason, actor: $actor, created_at: datetime($now)})
CREATE (o)-[:CONCERNS]->(a)
CREATE (o)-[:CONCERNS]->(b)
RETURN o.override_id AS override_id
