// Data-subject export, section "consent": every consent statement the person's records
// made, one row per statement, with the record and source that said it.
// Parameters: $customer_ids, $identifiers, $records, $past_customer_ids
// Returns: row (map: record, source, purpose, granted, at)
UNWIND $records AS k
MATCH (r:Record {key: k})
WHERE r.consent_purposes IS NOT NULL
UNWIND range(0, size(r.consent_purposes) - 1) AS n
RETURN {record: r.key, source: r.source, purpose: r.consent_purposes[n],
        granted: r.consent_granted[n], at: toString(r.consent_at[n])} AS row
ORDER BY row.at, row.record, row.purpose
