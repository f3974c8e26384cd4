"""The match model's lifecycle: fit it to the graph's records (EM or labels), set it by
hand, show the active one, and re-score the stored look-alike evidence with it."""
