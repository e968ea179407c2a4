"""``/clients/{id}/timeline``: the client's record, newest first, paged by a time cursor."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import Query
from fastapi.exceptions import RequestValidationError

from ..clients.repository import profile_row
from ..db import ConnectionDep
from ..errors import error_responses
from ..paging import MAX_LIMIT
from ..routing import coach_router
from .repository import Position, timeline
from .schemas import EntryKind, TimelinePage

router = coach_router("timeline")


def encode_cursor(position: Position) -> str:
    raw = json.dumps([position.at.isoformat(), position.kind, position.key])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """The position in a ``next_before`` this api handed out; 422 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, kind, key = json.loads(raw)
        position = Position(datetime.fromisoformat(at), EntryKind(kind).value, str(key))
        if position.at.tzinfo is None:
            raise ValueError("a cursor's instant has an offset")
    except (binascii.Error, ValueError, TypeError) as exc:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "before"),
                    "msg": "not a cursor from this api: pass a next_before unchanged",
                    "type": "cursor_invalid",
                }
            ]
        ) from exc
    return position


@router.get("/clients/{client_id}/timeline", responses=error_responses(404, 422))
async def client_timeline(
    client_id: UUID,
    conn: ConnectionDep,
    kinds: Annotated[
        list[EntryKind] | None, Query(alias="kind", description="any of; default all")
    ] = None,
    before: Annotated[
        str | None, Query(max_length=400, description="a `next_before` from the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> TimelinePage:
    """Check-ins, meals (with photo URLs), workouts, weigh-ins, job cards with their items,
    deliveries, missed fires and DMs of one client, newest first."""
    await profile_row(conn, client_id)
    chosen = kinds or list(EntryKind)
    start = None if before is None else decode_cursor(before)
    # One more than asked: whether it exists says if there is a next page.
    entries, total = await timeline(conn, client_id, chosen, start, limit + 1)
    page = entries[:limit]
    more = len(entries) > limit
    return TimelinePage(
        items=[entry for entry, _ in page],
        total=total,
        next_before=encode_cursor(page[-1][1]) if more else None,
    )
