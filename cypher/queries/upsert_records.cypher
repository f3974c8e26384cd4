// Create or replace source records; all previous properties are replaced.
// Parameters: $rows (list of {key, props}) where props holds source, record_id,
//   observed_at (ISO string), content_hash, attr_<name> attributes and, for records with
//   consent statements, the parallel lists consent_purposes, consent_granted and
//   consent_at (ISO strings, stored as datetimes)
// Returns: written (count)
UNWIND $rows AS row
MERGE (r:Record {key: row.key})
SET r = row.props, r.key = row.key, r.observed_at = datetime(row.props.observed_at),
    r.ingested_at = datetime(),
    r.consent_at = CASE WHEN row.props.consent_at IS NULL THEN null
                        ELSE [t IN row.props.consent_at | datetime(t)] END
RETURN count(r) AS written
