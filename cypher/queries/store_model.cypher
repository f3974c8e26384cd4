// Store a fitted match model as the active one.
// Parameters: $version, $params (JSON), $method, $now (ISO), $pairs (int: pairs it was fitted on)
// Returns: version
MERGE (m:MatchModel {name: 'active'})
SET m.version = $version, m.params = $params, m.method = $method,
    m.fitted_at = datetime($now), m.fitted_on_pairs = $pairs
RETURN m.version AS version
