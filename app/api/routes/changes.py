"""The change feed: every customer change in commit order, resumable from a cursor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import FeedDep, ReaderDep
from app.changes import cursor
from graph_models.changes import ChangePage

router = APIRouter(tags=["changes"])


@router.get(
    "/changes",
    response_model=ChangePage,
    summary="Customer changes in commit order, after a cursor",
    responses={422: {"description": "`after` is not a cursor this feed gave out"}},
)
def get_changes(
    _: ReaderDep,
    feed: FeedDep,
    after: Annotated[
        str | None,
        Query(
            max_length=cursor.MAX_LENGTH,
            description="A cursor from an earlier page (`next`, or an event's `cursor`); "
            "omit it to start at the beginning.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ChangePage:
    """Created, merged, split, retired, override and erased events, oldest first, each once."""
    position = 0 if after is None else cursor.decode(after)
    return feed.page(position, limit)
