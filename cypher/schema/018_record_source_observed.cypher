// Retention finds a source's records observed before a cutoff.
CREATE INDEX record_source_observed IF NOT EXISTS
FOR (r:Record) ON (r.source, r.observed_at)
