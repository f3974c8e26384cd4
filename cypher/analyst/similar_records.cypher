// The look-alike evidence around one identifier's customer: every SIMILAR link among the
// customer's identifiers and from them to identifiers outside it, one row per record pair
// the link carries, with the pair's probability and comparison vector. A SIMILAR link
// joins the anchors of records that share no identifier but whose attributes agree
// (Fellegi-Sunter). An identifier without a customer (shared) is taken alone.
// Browser: :param key => 'email:jane@example.com'
// Parameters: $key (identifier key "kind:value", value normalised; a record without
//   identifiers is 'record:<source>|<record_id>')
// Returns: customer_id (of $key, null if shared), identifier (the customer's end of the
//   link), other (the other end), other_customer_id, within_customer (true: both ends in
//   the customer), link_probability, link_weight (the link's best pair), model_version,
//   records ([record a, record b] of the pair), pair_probability, comparison (JSON: per
//   compared field its level, raw similarity and match weight); strongest links first
MATCH (asked:Identifier {key: $key})
OPTIONAL MATCH (asked)-[:BELONGS_TO]->(c:Customer)
WITH asked, c,
     CASE WHEN c IS NULL THEN [asked]
          ELSE COLLECT { MATCH (c)<-[:BELONGS_TO]-(m:Identifier) RETURN m } END AS members
UNWIND members AS m
MATCH (m)-[s:SIMILAR]-(n:Identifier)
// a link inside the customer is met from both ends: keep it once, from its start
WHERE NOT n IN members OR startNode(s) = m
UNWIND range(0, size(s.pairs) - 1) AS i
RETURN c.customer_id AS customer_id, m.key AS identifier, n.key AS other,
       n.customer_id AS other_customer_id, n IN members AS within_customer,
       s.match_probability AS link_probability, s.match_weight AS link_weight,
       s.model_version AS model_version, split(s.pairs[i], ' ~ ') AS records,
       s.pair_probabilities[i] AS pair_probability, s.comparisons[i] AS comparison
ORDER BY within_customer DESC, link_probability DESC, identifier, other,
         pair_probability DESC, records
