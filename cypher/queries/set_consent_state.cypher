// Remember the consent derived for customers (purposes with a statement only; empty lists
// are stored as no property).
// Parameters: $rows (list of {id, granted: [purpose], withdrawn: [purpose]})
// Returns: written (count)
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.id})
SET c.consent_granted = CASE WHEN size(row.granted) = 0 THEN null ELSE row.granted END,
    c.consent_withdrawn = CASE WHEN size(row.withdrawn) = 0 THEN null ELSE row.withdrawn END
RETURN count(c) AS written
