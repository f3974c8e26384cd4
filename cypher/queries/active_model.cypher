// The match model the engine scores with (none stored: the built-in default).
// Parameters: none
// Returns: version, params (JSON), method, fitted_at
MATCH (m:MatchModel {name: 'active'})
RETURN m.version AS version, m.params AS params, m.method AS method, m.fitted_at AS fitted_at
