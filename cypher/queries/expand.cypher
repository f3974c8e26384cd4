// One breadth-first step over joinable links, LINKED (seen together) or SIMILAR (look
// alike): neither end shared, probability >= $threshold. A pair may appear twice (both kinds).
// An identifier whose customer is not in $read_customers comes back without its links
// (links = null): the walk reads that customer whole next, links of every member included,
// so reading them here too would read them twice.
// Parameters: $keys (identifier keys), $threshold (float),
//             $read_customers (customer ids whose members need their own links here;
//             null: every identifier's links, as NOT x IN null is null)
// Returns: key, shared, customer_id, membership,
//          links (list of [neighbour key, match_probability], or null; see above)
UNWIND $keys AS k
MATCH (a:Identifier {key: k})
RETURN a.key AS key, a.shared AS shared, a.customer_id AS customer_id,
       a.membership_confidence AS membership,
       CASE
         WHEN a.shared THEN []
         WHEN a.customer_id IS NOT NULL AND NOT a.customer_id IN $read_customers THEN null
         ELSE [(a)-[l:LINKED|SIMILAR]-(b:Identifier)
                WHERE NOT b.shared AND l.match_probability >= $threshold
                | [b.key, l.match_probability]]
       END AS links
