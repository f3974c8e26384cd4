// The match model live matching scores with: the MatchModel node 'active' written by
// `idgraph model fit`. No row: none was fitted, the built-in default ('default-2') is in
// use (`idgraph model show` prints either as a table of m, u and Bayes factors).
// Parameters: none
// Returns: version ('em-', 'labels-' or 'manual-<hash>'), method ('em', 'labels', 'manual'), fitted_at,
//   fitted_on_pairs (candidate pairs it was estimated from), params (JSON: prior,
//   comparisons, m and u per field and level, index 0 = null)
MATCH (m:MatchModel {name: 'active'})
RETURN m.version AS version, m.method AS method, m.fitted_at AS fitted_at,
       m.fitted_on_pairs AS fitted_on_pairs, m.params AS params
