// Deployment secrets kept in the graph (the keyed-hash key of erasure), unique by name.
CREATE CONSTRAINT secret_name IF NOT EXISTS FOR (s:Secret) REQUIRE s.name IS UNIQUE
