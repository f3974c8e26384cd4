// The evidence path between two identifiers: the shortest chain of LINKED (seen together)
// or SIMILAR (records look alike) evidence (up to 10 hops, any probability, through shared
// identifiers too), each link's type, records, sources and match probability, and the
// weakest link on it. No row: no path within 10 hops.
// Browser: :param a => 'email:jane@example.com'
// Browser: :param b => 'phone:+14155550100'
// Parameters: $a, $b (identifier keys "kind:value", values normalised)
// Returns: path, hops, links (in path order: list of maps {from, to, type (LINKED or
//   SIMILAR), records, sources, match_probability, match_weight}), weakest_link (the map of
//   the link with the lowest match_probability), shared_on_path (keys of shared identifiers
//   on the path: a path through one is evidence the resolver does not join on)
MATCH (a:Identifier {key: $a})
MATCH (b:Identifier {key: $b})
WHERE a <> b
MATCH path = shortestPath((a)-[:LINKED|SIMILAR*..10]-(b))
WITH path, nodes(path) AS ns, relationships(path) AS ls
WITH path, ns,
     [i IN range(0, size(ls) - 1) | {
       from: ns[i].key, to: ns[i + 1].key, type: type(ls[i]), records: ls[i].records,
       sources: ls[i].sources, match_probability: ls[i].match_probability,
       match_weight: ls[i].match_weight
     }] AS links
RETURN path, size(links) AS hops, links,
       reduce(w = head(links), l IN tail(links) |
         CASE WHEN l.match_probability < w.match_probability THEN l ELSE w END) AS weakest_link,
       [n IN ns WHERE n.shared | n.key] AS shared_on_path
