"""Reads: what other services and people ask of the graph, without changing it.

Lookups (:mod:`app.reads.lookup`), customer profiles now and as of a time, history and
lineage (:mod:`app.reads.customers`, with survivorship in :mod:`app.reads.survivorship`),
and explanations (:mod:`app.reads.explain`).
"""
