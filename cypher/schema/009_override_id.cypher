// Every analyst override is unique by its override_id.
CREATE CONSTRAINT override_id IF NOT EXISTS FOR (o:Override) REQUIRE o.override_id IS UNIQUE
