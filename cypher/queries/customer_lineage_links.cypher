// The links among a customer's identifiers with their evidence, oldest first, one page.
// Parameters: $customer_id (an active id), $offset, $limit
// Returns: a, b, rule, records, sources, match_probability, match_weight, first_seen,
//          last_seen, pairs, pair_probabilities, comparisons (SIMILAR only, else null),
//          total (links in all pages); LINKED = seen together, SIMILAR = look alike
MATCH (c:Customer {customer_id: $customer_id})<-[:BELONGS_TO]-(a:Identifier)-[l:LINKED|SIMILAR]->(b:Identifier)-[:BELONGS_TO]->(c)
WITH a, b, l
ORDER BY l.first_seen, a.key, b.key
WITH collect({a: a.key, b: b.key, l: l}) AS links
UNWIND links[$offset..($offset + $limit)] AS x
RETURN x.a AS a, x.b AS b, x.l.rule AS rule, x.l.records AS records, x.l.sources AS sources,
       x.l.match_probability AS match_probability, x.l.match_weight AS match_weight,
       x.l.first_seen AS first_seen, x.l.last_seen AS last_seen, x.l.pairs AS pairs,
       x.l.pair_probabilities AS pair_probabilities, x.l.comparisons AS comparisons,
       size(links) AS total
