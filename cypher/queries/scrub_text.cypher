// Replace erased identifier keys in free text (event reasons, customers' weakest link) by
// their keyed hash, so history keeps an entry with no personal data. The audit log holds
// ids only, but a record ref is a source's own id (a record with no identifier stands in as
// identifier `record:<its key>`, and a source may use an email as record id): an erased
// value inside an audit entry's record target is replaced too.
// Parameters: $pairs (list of [identifier key, replacement])
// Returns: scrubbed (count of properties rewritten)
UNWIND $pairs AS p
CALL (p) {
  MATCH (e:CustomerEvent)
  WHERE e.reason CONTAINS p[0]
  SET e.reason = replace(e.reason, p[0], p[1])
  RETURN count(e) AS events
}
CALL (p) {
  MATCH (c:Customer)
  WHERE c.weakest_link CONTAINS p[0]
  SET c.weakest_link = replace(c.weakest_link, p[0], p[1])
  RETURN count(c) AS customers
}
CALL (p) {
  MATCH (a:AuditEntry)
  WITH a, substring(p[0], size(split(p[0], ':')[0]) + 1) AS value
  WHERE any(t IN a.targets WHERE t STARTS WITH 'record:' AND t CONTAINS value)
  SET a.targets = [t IN a.targets |
                   CASE WHEN t STARTS WITH 'record:' THEN replace(t, value, p[1]) ELSE t END]
  RETURN count(a) AS audits
}
RETURN sum(events + customers + audits) AS scrubbed
