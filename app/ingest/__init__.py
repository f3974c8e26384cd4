"""Ingestion: source records in (``POST /v1/records``, ``idgraph ingest``), evidence and
customers out, one transaction per batch."""
