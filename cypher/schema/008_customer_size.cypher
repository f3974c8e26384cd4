// Largest customers first.
CREATE INDEX customer_size IF NOT EXISTS FOR (c:Customer) ON (c.size)
