// Every identifier node is unique by its key, "kind:value".
CREATE CONSTRAINT identifier_key IF NOT EXISTS FOR (i:Identifier) REQUIRE i.key IS UNIQUE
