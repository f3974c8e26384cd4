// Recent merges and splits, newest first.
CREATE INDEX event_at IF NOT EXISTS FOR (e:CustomerEvent) ON (e.at)
