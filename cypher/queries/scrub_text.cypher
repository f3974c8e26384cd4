// Replace erased identifier keys in free text (event reasons, customers' weakest link) by
// their keyed hash, so history keeps an entry with no personal data.
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
RETURN sum(events + customers) AS scrubbed
