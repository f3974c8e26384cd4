// BENCH ONLY: bulk load of the incremental step's background graph (empty graph assumed).
// Mirrors cypher/queries/upsert_records.cypher for records that do not exist yet.
// Parameters: $rows (list of {key, props}) where props holds source, record_id,
//   observed_at (ISO string), content_hash and attr_<name> attributes
// Returns: nothing
UNWIND $rows AS row
CREATE (r:Record)
SET r = row.props, r.key = row.key, r.observed_at = datetime(row.props.observed_at),
    r.ingested_at = datetime()
