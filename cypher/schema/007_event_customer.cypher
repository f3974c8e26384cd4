// History of one customer id.
CREATE INDEX event_customer IF NOT EXISTS FOR (e:CustomerEvent) ON (e.customer_id)
