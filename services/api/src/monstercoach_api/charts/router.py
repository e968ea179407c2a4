"""``/clients/{id}/charts``: the series behind the client page's three charts."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Query

from ..clients.repository import profile_row
from ..clock import NowDep
from ..compliance.repository import daily_compliance
from ..db import ConnectionDep
from ..errors import error_responses
from ..routing import coach_router
from . import repository
from .schemas import ClientCharts

router = coach_router("charts")


@router.get("/clients/{client_id}/charts", responses=error_responses(404, 422))
async def client_charts(
    client_id: UUID,
    conn: ConnectionDep,
    now: NowDep,
    days: Annotated[int, Query(ge=7, le=365, description="how many days back")] = 28,
) -> ClientCharts:
    """Weight with its 7-day moving average, daily adherence, kcal and protein vs target."""
    client = await profile_row(conn, client_id)
    adherence = await daily_compliance(conn, now, [client_id], days)
    return ClientCharts(
        client_id=client_id,
        today=now.astimezone(ZoneInfo(client["time_zone"])).date(),
        weight=await repository.weight(conn, now, client_id, days),
        adherence=adherence[client_id],
        nutrition=await repository.nutrition(conn, now, client_id, days),
    )
