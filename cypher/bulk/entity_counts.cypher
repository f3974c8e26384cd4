// What a bulk import wrote, to check it against what was computed (count store reads).
// Parameters: none
// Returns: records, identifiers, blocks, customers, events, observed, linked, similar,
//          in_block, belongs_to
RETURN COUNT { (:Record) } AS records, COUNT { (:Identifier) } AS identifiers,
       COUNT { (:Block) } AS blocks, COUNT { (:Customer) } AS customers,
       COUNT { (:CustomerEvent) } AS events, COUNT { ()-[:OBSERVED]->() } AS observed,
       COUNT { ()-[:LINKED]->() } AS linked, COUNT { ()-[:SIMILAR]->() } AS similar,
       COUNT { ()-[:IN_BLOCK]->() } AS in_block, COUNT { ()-[:BELONGS_TO]->() } AS belongs_to
