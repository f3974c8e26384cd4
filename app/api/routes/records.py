"""``POST /v1/records``: what other services observed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import IngestDep, WriterDep
from app.audit import targets as audit_targets
from app.core import metrics
from graph_models.customers import RecordsResponse
from graph_models.records import SourceRecord

router = APIRouter(tags=["records"])

_EXAMPLE: dict[str, Any] = {
    "records": [
        {
            "source": "crm",
            "record_id": "A-1001",
            "observed_at": "2026-11-01T12:00:00Z",
            "identifiers": [
                {"kind": "email", "value": "Jane.Doe@Example.com"},
                {"kind": "phone", "value": "+1 (415) 555-0100"},
            ],
            "attributes": {"first_name": "Jane", "last_name": "Doe", "postcode": "94110"},
            "consent": [{"purpose": "marketing", "granted": True, "at": "2026-11-01T11:58:00Z"}],
        }
    ]
}


class RecordBatch(BaseModel):
    records: list[SourceRecord] = Field(description="Records to ingest (one transaction).")

    model_config = {"json_schema_extra": {"examples": [_EXAMPLE]}}


@router.post(
    "/records",
    response_model=RecordsResponse,
    summary="Ingest a batch of source records",
    responses={422: {"description": "A bad batch: each bad record and field is named"}},
)
def post_records(batch: RecordBatch, _: WriterDep, ingestion: IngestDep) -> RecordsResponse:
    """Store the batch's evidence and return each record's customer and the changes caused."""
    results = ingestion.ingest(batch.records)
    metrics.RECORDS_INGESTED.inc(len(results))
    audit_targets.ingested(results)
    metrics.count_changes(c for r in results for c in r.changes)
    return RecordsResponse(results=results)
