"""``/clients``: the roster, one client's detail, profile and targets edits, status."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Request, Response

from ..audit.repository import record
from ..auth.dependencies import CoachDep
from ..clock import NowDep
from ..db import ConnectionDep, pool_of, reading
from ..errors import error_responses
from ..filters import values_of
from ..routing import coach_router
from . import repository, service
from .ranking import weekly_rates
from .schemas import (
    DEFAULT_ORDER,
    ClientDetail,
    ClientProfile,
    ClientUpdate,
    RosterPage,
    RosterQuery,
    RosterSort,
    StatusChange,
)

router = coach_router("clients", "/clients")

ClientNotFound = error_responses(404, 422)


@router.get("", response_model=RosterPage, responses=error_responses(422))
async def roster_list(
    request: Request, now: NowDep, query: Annotated[RosterQuery, Query()]
) -> Response:
    """The roster: each client at a glance, filtered, searched, sorted and paged."""
    filters = repository.RosterFilters(
        statuses=values_of(query.status),
        time_zones=query.time_zone,
        search=query.q,
        flag_severities=values_of(query.flag_severity),
    )
    order = query.order or DEFAULT_ORDER[query.sort]
    async with reading(request) as conn:
        # Every page reads the stored weeks (its rows' 7-day windows), so every page keeps
        # them fresh; only the compliance sort needs the stored rates to exist. The app's
        # state is read here rather than through dependencies: each dependency cost the
        # busiest request ~0.1 ms of FastAPI's work (docs/benchmarks.md).
        await weekly_rates(request).ready(
            conn, pool_of(request), now, ranked=query.sort is RosterSort.COMPLIANCE_7D
        )
        page = await repository.roster_page(conn, now, filters, query.sort, order, query.paging)
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
