// The counter the change feed numbers events from: one node per feed, unique by name.
CREATE CONSTRAINT feed_sequence_name IF NOT EXISTS FOR (s:FeedSequence) REQUIRE s.name IS UNIQUE
