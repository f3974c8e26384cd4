// Every source record is unique by its key, "source|record_id".
CREATE CONSTRAINT record_key IF NOT EXISTS FOR (r:Record) REQUIRE r.key IS UNIQUE
