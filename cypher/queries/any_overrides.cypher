// Whether any override exists (a count-store lookup; lets batches skip override reads).
// Parameters: none
// Returns: n
MATCH (o:Override)
RETURN count(o) AS n
