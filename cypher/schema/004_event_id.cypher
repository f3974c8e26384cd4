// Every history event is unique by its event_id.
CREATE CONSTRAINT event_id IF NOT EXISTS FOR (e:CustomerEvent) REQUIRE e.event_id IS UNIQUE
