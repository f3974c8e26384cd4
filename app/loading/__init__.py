"""Loading files (JSONL, CSV, Parquet) through a mapping: ``idgraph load`` and ``ingest``.

``mapping`` (the declarative mapping file), ``readers`` (rows of each format, with their
line or row), ``records`` (rows made into records, problems named by field), ``loader``
(batches into the ingest service, bad rows reported), ``console`` (progress bars and the
summary the command line prints).
"""
