// Blocking keys are unique ("sx_year:S530|1990"); a new record finds its candidates through them.
CREATE CONSTRAINT block_key IF NOT EXISTS FOR (b:Block) REQUIRE b.key IS UNIQUE
