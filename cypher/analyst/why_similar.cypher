// Why two records look alike: the SIMILAR link that carries the pair (between the
// records' anchors, found through the identifiers they OBSERVED), the pair's probability
// and its comparison vector. No row: the pair is not evidence (a record lacks a name or a
// second field to match on, they share no blocking key in a block of at most max_block
// records, they share an identifier and are LINKED instead, or the pair scored below
// IDGRAPH_MATCH_MIN_PROBABILITY).
// Browser: :param a => 'crm|A-1001'
// Browser: :param b => 'web|W-2002'
// Parameters: $a, $b (record keys "source|record_id", either order)
// Returns: a, b (the record keys), identifier_a, identifier_b (the identifiers the link
//   joins: the anchors of $a and $b), customer_a, customer_b (their customer ids),
//   pair_probability, comparison (JSON: per compared field its level, raw similarity and
//   match weight; fields missing on either side are left out), link_probability,
//   link_weight (the link's best pair), pairs_on_link (record pairs the link carries),
//   model_version
MATCH (ra:Record {key: $a})
MATCH (rb:Record {key: $b})
WITH ra, rb, [$a + ' ~ ' + $b, $b + ' ~ ' + $a] AS texts
MATCH (ra)-[:OBSERVED]->(x:Identifier)-[s:SIMILAR]-(y:Identifier)<-[:OBSERVED]-(rb)
WITH ra, rb, x, y, s, [i IN range(0, size(s.pairs) - 1) WHERE s.pairs[i] IN texts] AS found
WHERE size(found) > 0
RETURN ra.key AS a, rb.key AS b, x.key AS identifier_a, y.key AS identifier_b,
       x.customer_id AS customer_a, y.customer_id AS customer_b,
       s.pair_probabilities[found[0]] AS pair_probability, s.comparisons[found[0]] AS comparison,
       s.match_probability AS link_probability, s.match_weight AS link_weight,
       size(s.pairs) AS pairs_on_link, s.model_version AS model_version
