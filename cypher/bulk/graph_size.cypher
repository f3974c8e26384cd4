// Whether the graph holds anything but the change feed's counter (bulk mode loads an
// empty graph only), and how many nodes it has (from the count store).
// Parameters: none
// Returns: nodes (count), content (boolean: a node other than the FeedSequence exists)
MATCH (n)
WITH count(n) AS nodes
RETURN nodes, EXISTS { MATCH (m) WHERE NOT m:FeedSequence } AS content
