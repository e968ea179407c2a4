"""``/clients``: the roster, one client's detail, profile and targets edits, status."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Response

from monstercoach_schemas.domain import ClientStatus, FlagSeverity
from monstercoach_schemas.types import TimeZoneName

from ..audit.repository import record
from ..auth.dependencies import CoachDep
from ..clock import NowDep
from ..db import ConnectionDep, PoolDep, ReaderDep
from ..errors import error_responses
from ..filters import values_of
from ..paging import PagingDep
from ..routing import coach_router
from . import repository, service
from .ranking import WeeklyRatesDep
from .schemas import (
    DEFAULT_ORDER,
    ClientDetail,
    ClientProfile,
    ClientUpdate,
    RosterPage,
    RosterSort,
    SortOrder,
    StatusChange,
)

router = coach_router("clients", "/clients")

ClientNotFound = error_responses(404, 422)


@router.get("", response_model=RosterPage, responses=error_responses(422))
async def roster_list(
    conn: ReaderDep,
    pool: PoolDep,
    now: NowDep,
    paging: PagingDep,
    weekly: WeeklyRatesDep,
    status: Annotated[list[ClientStatus] | None, Query(description="any of")] = None,
    flag_severity: Annotated[
        list[FlagSeverity] | None,
        Query(description="clients with an unresolved flag of any of these severities"),
    ] = None,
    time_zone: Annotated[list[TimeZoneName] | None, Query(description="any of")] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=80, description="part of the name, or a Discord id"),
    ] = None,
    sort: RosterSort = RosterSort.NAME,
    order: Annotated[
        SortOrder | None,
        Query(
            description="default: name asc, compliance_7d asc, last_activity asc (quietest "
            "first), open_flags desc"
        ),
    ] = None,
) -> Response:
    """The roster: each client at a glance, filtered, searched, sorted and paged."""
    filters = repository.RosterFilters(
        statuses=values_of(status),
        time_zones=time_zone,
        search=q,
        flag_severities=values_of(flag_severity),
    )
    # Every page reads the stored weeks (its rows' 7-day windows), so every page keeps
    # them fresh; only the compliance sort needs the stored rates to exist.
    await weekly.ready(conn, pool, now, ranked=sort is RosterSort.COMPLIANCE_7D)
    page = await repository.roster_page(
        conn, now, filters, sort, order or DEFAULT_ORDER[sort], paging
    )
    # PostgreSQL built the JSON (tests hold it to RosterPage): sent as it is, rather than
    # parsed into models and validated again against response_model on the way out.
    return Response(page, media_type="application/json")


@router.get("/{client_id}", responses=ClientNotFound)
async def client_get(client_id: UUID, conn: ConnectionDep, now: NowDep) -> ClientDetail:
    """Profile, targets, today's status and 7/28-day compliance of one client."""
    return await service.detail(conn, now, client_id)


@router.patch("/{client_id}", responses=ClientNotFound)
async def client_update(
    client_id: UUID, body: ClientUpdate, conn: ConnectionDep, coach: CoachDep
) -> ClientProfile:
    """Edit the profile and targets; only the fields sent change. Audited."""
    before = service.profile_of(await repository.profile_row(conn, client_id, for_update=True))
    after = service.edited(before, body)
    changed = service.differences(before, after)
    if not changed:
        return before
    row = await repository.update_profile(conn, client_id, service.editable_values(after))
    await record(conn, coach.discord_user_id, "client.update", str(client_id), {"changed": changed})
    return service.profile_of(row)


@router.put("/{client_id}/status", responses=ClientNotFound)
async def client_status_set(
    client_id: UUID, body: StatusChange, conn: ConnectionDep, coach: CoachDep
) -> ClientProfile:
    """Pause, archive or re-activate a client (the scheduler follows within a tick). Audited."""
    before = await repository.profile_row(conn, client_id, for_update=True)
    if before["status"] == body.status.value:
        return service.profile_of(before)
    row = await repository.update_status(conn, client_id, body.status.value)
    await record(
        conn,
        coach.discord_user_id,
        "client.status",
        str(client_id),
        {"from": before["status"], "to": body.status.value},
    )
    return service.profile_of(row)
