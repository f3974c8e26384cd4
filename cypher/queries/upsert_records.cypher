// Create or replace source records; all previous properties are replaced.
// Parameters: $rows (list of {key, props}) where props holds source, record_id,
//   observed_at (ISO string), content_hash and attr_<name> attributes
// Returns: written (count)
UNWIND $rows AS row
MERGE (r:Record {key: row.key})
SET r = row.props, r.key = row.key, r.observed_at = datetime(row.props.observed_at),
    r.ingested_at = datetime()
RETURN count(r) AS written
