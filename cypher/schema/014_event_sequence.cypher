// The change feed's order: every history event has a unique, dense sequence number.
CREATE CONSTRAINT event_sequence IF NOT EXISTS FOR (e:CustomerEvent) REQUIRE e.seq IS UNIQUE
