// Data-subject export, section "links": the evidence (LINKED: seen together; SIMILAR: look
// alike) touching the person's identifiers. An end that is not theirs is not named.
// Parameters: $customer_ids, $identifiers, $records, $past_customer_ids
// Returns: row (map: every property, type, a, b)
UNWIND $identifiers AS k
MATCH (x:Identifier {key: k})-[l:LINKED|SIMILAR]-(y:Identifier)
WITH DISTINCT l, startNode(l) AS a, endNode(l) AS b
RETURN l {.*, type: type(l),
          a: CASE WHEN a.key IN $identifiers THEN a.key ELSE "[another person's identifier]" END,
          b: CASE WHEN b.key IN $identifiers THEN b.key ELSE "[another person's identifier]" END
         } AS row
ORDER BY row.type, row.a, row.b
