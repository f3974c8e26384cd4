// Analysts filter identifiers by kind ("all shared phones").
CREATE INDEX identifier_kind IF NOT EXISTS FOR (i:Identifier) ON (i.kind, i.shared)
