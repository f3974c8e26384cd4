// What-if (read-only): one step of the scope walk. Each identifier with its links at or
// above the threshold, both kinds, with the link type and whether the neighbour is shared,
// so a proposed change can be laid over them (a shared identifier's links only when it is
// in $open: the change would release it).
// Parameters: $keys (identifier keys), $threshold (float), $open (identifier keys)
// Returns: key, shared, customer_id, membership, links (list of [neighbour key,
//          match_probability, type (LINKED or SIMILAR), neighbour shared])
UNWIND $keys AS k
MATCH (a:Identifier {key: k})
RETURN a.key AS key, a.shared AS shared, a.customer_id AS customer_id,
       a.membership_confidence AS membership,
       CASE WHEN a.shared AND NOT a.key IN $open THEN [] ELSE
         [(a)-[l:LINKED|SIMILAR]-(b:Identifier) WHERE l.match_probability >= $threshold
          | [b.key, l.match_probability, type(l), b.shared]] END AS links
