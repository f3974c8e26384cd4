// Recent history events (merged, split, created, retired), newest first, with why each
// happened and which record triggered it.
// Browser: :param type => null
// Browser: :param limit => 25
// Parameters: $type ('merged', 'split', 'created', 'retired', or null for all),
//   $limit (int, how many events)
// Returns: at, type, customer_id (surviving, new or split id), reason, trigger_record
//   ("source|record_id" or null), before (customer ids), after (customer ids)
MATCH (e:CustomerEvent)
WHERE e.at IS NOT NULL AND ($type IS NULL OR e.type = $type)
RETURN e.at AS at, e.type AS type, e.customer_id AS customer_id, e.reason AS reason,
       e.trigger_record AS trigger_record, e.before AS before, e.after AS after
ORDER BY at DESC, e.event_id
LIMIT $limit
