// The match model the engine scores with (none stored: the built-in default).
// The parameters (which hold the frozen term frequencies and can be large) come back
// only when the stored version differs from the one the caller already holds.
// Parameters: $known (version the caller holds, or null)
// Returns: version, params (JSON, or null when version = $known), method, fitted_at
MATCH (m:MatchModel {name: 'active'})
RETURN m.version AS version,
       CASE WHEN m.version = $known THEN null ELSE m.params END AS params,
       m.method AS method, m.fitted_at AS fitted_at
