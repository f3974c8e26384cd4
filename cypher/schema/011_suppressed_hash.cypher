// Erased identifiers kept from being linked again, by keyed hash only.
CREATE CONSTRAINT suppressed_hash IF NOT EXISTS FOR (s:Suppressed) REQUIRE s.hash IS UNIQUE
