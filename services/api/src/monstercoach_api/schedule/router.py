"""``/lst``, ``/schedule/upcoming`` and ``/clients/{id}/schedule``: what fires when."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Path, Query

from monstercoach_schemas.domain import ClientStatus

from ..audit.repository import record
from ..auth.dependencies import CoachDep
from ..clients.repository import profile_row
from ..clock import NowDep
from ..db import ConnectionDep
from ..errors import error_responses
from ..paging import PagingDep
from ..routing import coach_router
from . import repository, service
from .schemas import (
    ClientSchedule,
    Lst,
    OverrideRequest,
    ScheduleEntry,
    UpcomingFire,
    UpcomingPage,
)

router = coach_router("schedule")

EngineId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
TriggerId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,59}$")]


@router.get("/lst")
async def lst_get() -> Lst:
    """Every engine's triggers: when each fires, what it emits, its deadline and policy."""
    return service.lst()


@router.get("/schedule/upcoming", responses=error_responses(422))
async def upcoming_fires_list(
    conn: ConnectionDep,
    now: NowDep,
    paging: PagingDep,
    client_id: UUID | None = None,
    engine: Annotated[str | None, Query(max_length=40)] = None,
    trigger: Annotated[str | None, Query(max_length=60)] = None,
) -> UpcomingPage:
    """Fires the scheduler has planned for active clients, soonest first."""
    rows, total = await repository.upcoming(conn, now, client_id, engine, trigger, paging)
    return UpcomingPage.of(
        [
            UpcomingFire.model_validate(
                {**row, "local": row["at"].astimezone(ZoneInfo(row["time_zone"]))}
            )
            for row in rows
        ],
        total,
        paging,
    )


@router.get("/clients/{client_id}/schedule", responses=error_responses(404, 422))
async def client_schedule_get(client_id: UUID, conn: ConnectionDep, now: NowDep) -> ClientSchedule:
    """The client's schedule per trigger (default, override, in effect) and next fires in
    their local time and UTC."""
    client = await profile_row(conn, client_id)
    status = ClientStatus(client["status"])
    return ClientSchedule(
        client_id=client_id,
        time_zone=client["time_zone"],
        status=status,
        fires=status is ClientStatus.ACTIVE,
        local_now=now.astimezone(ZoneInfo(client["time_zone"])),
        entries=service.entries(
            client["time_zone"], status, await repository.overrides(conn, client_id), now
        ),
    )


@router.put("/clients/{client_id}/schedule/{engine}/{trigger}", responses=error_responses(404, 422))
async def schedule_override_put(
    client_id: UUID,
    engine: EngineId,
    trigger: TriggerId,
    body: OverrideRequest,
    conn: ConnectionDep,
    now: NowDep,
    coach: CoachDep,
) -> ScheduleEntry:
    """Move, re-day or turn off one trigger for this client. Audited."""
    declared = service.client_trigger(engine, trigger)
    client = await profile_row(conn, client_id, for_update=True)
    service.check_override(declared, body)
    weekdays = None if body.weekdays is None else [day.value for day in body.weekdays]
    row = await repository.put_override(
        conn, client_id, engine, trigger, body.enabled, body.local_time, weekdays
    )
    await record(
        conn,
        coach.discord_user_id,
        "schedule.override",
        str(client_id),
        {"trigger": f"{engine}.{trigger}", **body.model_dump(mode="json")},
    )
    return service.entry(declared, client["time_zone"], ClientStatus(client["status"]), row, now)


@router.delete(
    "/clients/{client_id}/schedule/{engine}/{trigger}", responses=error_responses(404, 422)
)
async def schedule_override_delete(
    client_id: UUID,
    engine: EngineId,
    trigger: TriggerId,
    conn: ConnectionDep,
    now: NowDep,
    coach: CoachDep,
) -> ScheduleEntry:
    """Back to the LST's default for this trigger (nothing to do if there was no override).
    Audited when an override was removed."""
    declared = service.client_trigger(engine, trigger)
    client = await profile_row(conn, client_id, for_update=True)
    removed = await repository.delete_override(conn, client_id, engine, trigger)
    if removed is not None:
        await record(
            conn,
            coach.discord_user_id,
            "schedule.override_removed",
            str(client_id),
            {"trigger": f"{engine}.{trigger}"},
        )
    return service.entry(declared, client["time_zone"], ClientStatus(client["status"]), None, now)
