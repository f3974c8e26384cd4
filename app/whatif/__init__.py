"""What-if: what a proposed change would do to the customers, computed without writing.

A proposal (an override, an identifier to quarantine, a record to add, an identifier to
erase) becomes an :class:`~app.whatif.scope.Overlay` of evidence changes laid over the
stored graph. The scope the engine would re-evaluate is walked read-only
(:func:`~app.whatif.scope.read_scope`, the same closure as the resolver's walk: joinable
links, whole customers, override partners), clustered with the engine's own pure
:func:`app.engine.clustering.cluster`, and given ids with the resolver's own
:func:`app.engine.resolution.assign_ids`, so the prediction is what applying the change
would do. Everything runs in one Neo4j *read* transaction, which refuses writes.
"""
