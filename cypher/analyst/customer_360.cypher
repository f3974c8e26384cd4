// Customer 360: one identifier, its customer, every identifier of that customer, the
// records that observed them and the evidence between them (LINKED: seen together in a
// record; SIMILAR: records that look alike), drawn as a graph. A shared (quarantined)
// identifier has no customer and is shown alone with its records.
// Browser: :param kind => 'email'
// Browser: :param value => 'jane@example.com'
// Parameters: $kind (identifier kind: email, phone, account, device, cookie, ..., or record
//   for a record without identifiers), $value (normalised value: email lower-cased, phone
//   E.164 like '+14155550100', account scoped to its source like 'web/u-123', record
//   'source|record_id')
// Returns: identifier (node), customer (node or null), identifiers (keys of the customer's
//   identifiers), memberships (BELONGS_TO paths), observations (OBSERVED paths), links
//   (LINKED and SIMILAR paths between the identifiers), shared_links (LINKED and SIMILAR
//   paths to shared identifiers), link_types (one map {from, to, type, match_probability}
//   per link in links and shared_links, for the Table view)
MATCH (asked:Identifier {key: toLower(trim($kind)) + ':' + $value})
OPTIONAL MATCH (asked)-[:BELONGS_TO]->(c:Customer)
WITH asked, c,
     CASE WHEN c IS NULL THEN [asked]
          ELSE COLLECT { MATCH (c)<-[:BELONGS_TO]-(m:Identifier) RETURN m ORDER BY m.key } END
       AS members
RETURN asked AS identifier, c AS customer, [m IN members | m.key] AS identifiers,
       COLLECT { MATCH p = (:Identifier)-[:BELONGS_TO]->(c) RETURN p } AS memberships,
       COLLECT { UNWIND members AS m MATCH p = (:Record)-[:OBSERVED]->(m) RETURN p }
         AS observations,
       COLLECT {
         UNWIND members AS m
         MATCH p = (m)-[:LINKED|SIMILAR]->(n:Identifier)
         WHERE n IN members
         RETURN p
       } AS links,
       COLLECT {
         UNWIND members AS m
         MATCH p = (m)-[:LINKED|SIMILAR]-(s:Identifier {shared: true})
         WHERE NOT s IN members
         RETURN p
       } AS shared_links,
       COLLECT {
         UNWIND members AS m
         MATCH (m)-[l:LINKED|SIMILAR]-(n:Identifier)
         WHERE (n IN members AND startNode(l) = m) OR (n.shared AND NOT n IN members)
         RETURN {from: m.key, to: n.key, type: type(l), match_probability: l.match_probability}
           AS link
         ORDER BY m.key, n.key, type(l)
       } AS link_types
