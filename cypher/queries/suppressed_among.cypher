// Which of the given keyed hashes are suppressed.
// Parameters: $hashes (list of strings)
// Returns: hash
UNWIND $hashes AS h
MATCH (s:Suppressed {hash: h})
RETURN s.hash AS hash
