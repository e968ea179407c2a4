"""``/flags``: the inbox, acknowledge, resolve with a note, request a re-scan."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import Query

from monstercoach_schemas.domain import FlagCode, FlagSeverity, FlagSource, FlagStatus
from monstercoach_schemas.messages import ScanRequested, ScanRequestedPayload
from monstercoach_schemas.types import IsoWeek, uuid7

from ..audit.repository import record
from ..auth.dependencies import CoachDep
from ..bus import BusDep, publish
from ..clients.repository import profile_row
from ..clock import NowDep
from ..db import ConnectionDep
from ..errors import ApiError, error_responses
from ..filters import values_of
from ..paging import PagingDep
from ..routing import coach_router
from . import repository
from .schemas import FlagPage, FlagView, ResolveRequest, ScanQueued, ScanRequest

router = coach_router("flags", "/flags")


@router.get("", responses=error_responses(422))
async def flags_list(
    conn: ConnectionDep,
    paging: PagingDep,
    week: IsoWeek | None = None,
    severity: Annotated[list[FlagSeverity] | None, Query(description="any of")] = None,
    status: Annotated[list[FlagStatus] | None, Query(description="any of")] = None,
    source: Annotated[list[FlagSource] | None, Query(description="any of")] = None,
    code: Annotated[list[FlagCode] | None, Query(description="any of")] = None,
    client_id: UUID | None = None,
) -> FlagPage:
    """Flags, most severe first, then newest."""
    filters = repository.FlagFilters(
        iso_week=week,
        severities=values_of(severity),
        statuses=values_of(status),
        sources=values_of(source),
        codes=values_of(code),
        client_id=client_id,
    )
    rows, total = await repository.list_flags(conn, filters, paging)
    return FlagPage.of([FlagView.model_validate(dict(row)) for row in rows], total, paging)


async def _flag(conn: asyncpg.Connection, flag_id: UUID) -> asyncpg.Record:
    row = await repository.get_flag(conn, flag_id)
    if row is None:
        raise ApiError(404, "flag_not_found", f"There is no flag with id {flag_id}.")
    return row


@router.get("/{flag_id}", responses=error_responses(404, 422))
async def flag_get(flag_id: UUID, conn: ConnectionDep) -> FlagView:
    """One flag with its evidence, rationale and suggested action."""
    return FlagView.model_validate(dict(await _flag(conn, flag_id)))


async def _change_status(
    conn: asyncpg.Connection, coach_id: str, flag_id: UUID, status: FlagStatus, note: str | None
) -> FlagView:
    current = await _flag(conn, flag_id)
    if current["status"] == FlagStatus.RESOLVED:
        raise ApiError(409, "flag_resolved", "This flag is already resolved.")
    row = await repository.set_status(conn, flag_id, status.value, note)
    details = {"from": current["status"], "to": status.value}
    await record(conn, coach_id, f"flag.{status.value}", str(flag_id), details | {"note": note})
    return FlagView.model_validate(dict(row))


@router.post("/{flag_id}/acknowledge", responses=error_responses(404, 409, 422))
async def flag_acknowledge(flag_id: UUID, conn: ConnectionDep, coach: CoachDep) -> FlagView:
    """Mark a flag as seen; it stays unresolved. Audited."""
    return await _change_status(conn, coach.discord_user_id, flag_id, FlagStatus.ACKNOWLEDGED, None)


@router.post("/{flag_id}/resolve", responses=error_responses(404, 409, 422))
async def flag_resolve(
    flag_id: UUID, body: ResolveRequest, conn: ConnectionDep, coach: CoachDep
) -> FlagView:
    """Close a flag with the coach's note. Audited."""
    return await _change_status(
        conn, coach.discord_user_id, flag_id, FlagStatus.RESOLVED, body.note
    )


@router.post("/scan", status_code=202, responses=error_responses(404, 422))
async def flag_scan_request(
    body: ScanRequest, conn: ConnectionDep, bus: BusDep, now: NowDep, coach: CoachDep
) -> ScanQueued:
    """Ask the flag worker to scan one client's week, or everyone's. Audited."""
    if body.client_id is not None:
        await profile_row(conn, body.client_id)
    year, week, _ = now.isocalendar()
    iso_week = body.iso_week or f"{year}-W{week:02d}"
    message_id = uuid7()
    message = ScanRequested(
        id=message_id,
        idempotency_key=f"scan:{message_id}",
        payload=ScanRequestedPayload(
            iso_week=iso_week, client_id=body.client_id, requested_by=coach.discord_user_id
        ),
    )
    await record(
        conn,
        coach.discord_user_id,
        "flag.scan_requested",
        None if body.client_id is None else str(body.client_id),
        {"iso_week": iso_week, "message_id": str(message_id)},
    )
    await publish(bus, message)
    return ScanQueued(message_id=message_id, iso_week=iso_week, client_id=body.client_id)
