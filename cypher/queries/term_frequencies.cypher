// The term blocks: how many records hold each (hashed) value of a term-frequency field.
// Parameters: none
// Returns: block (key "tf:<field>|<hash>"), size (records holding the value)
MATCH (b:Block)
WHERE b.key STARTS WITH 'tf:'
RETURN b.key AS block, b.size AS size
ORDER BY block
