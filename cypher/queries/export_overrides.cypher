// Data-subject export, section "overrides": analysts' decisions about the person's identifiers.
// Parameters: $customer_ids, $identifiers, $records, $past_customer_ids
// Returns: row (map: every property of the override; an end that is not theirs is not named)
UNWIND $identifiers AS k
MATCH (o:Override)-[:CONCERNS]->(:Identifier {key: k})
WITH DISTINCT o
RETURN o {.*,
          a: CASE WHEN o.a IN $identifiers THEN o.a ELSE "[another person's identifier]" END,
          b: CASE WHEN o.b IN $identifiers THEN o.b ELSE "[another person's identifier]" END
         } AS row
ORDER BY o.created_at, o.override_id
