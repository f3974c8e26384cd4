"""Retention: records and identifiers older than their rule allows leave the graph.

:mod:`.rules` reads and checks the rules (``IDGRAPH_RETENTION_RULES``), :mod:`.service`
applies them through the erasure code path (:mod:`app.privacy.removal`) in bounded,
resumable batches, and :mod:`.periodic` runs them in the API process when asked to
(``IDGRAPH_RETENTION_INTERVAL``).
"""
