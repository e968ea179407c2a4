"""``/clients/{id}/charts``: the series behind the client page's three charts."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Request, Response

from ..clock import NowDep
from ..db import reading
from ..errors import error_responses
from ..routing import coach_router
from . import repository
from .schemas import ClientCharts

router = coach_router("charts")


@router.get(
    "/clients/{client_id}/charts",
    response_model=ClientCharts,
    responses=error_responses(404, 422),
)
async def client_charts(
    client_id: UUID,
    request: Request,
    now: NowDep,
    days: Annotated[int, Query(ge=7, le=365, description="how many days back")] = 28,
) -> Response:
    """Weight with its 7-day moving average, daily adherence, kcal and protein vs target."""
    # Built by PostgreSQL and held to ClientCharts by the tests, as the roster's page is.
    async with reading(request) as conn:
        body = await repository.charts_json(conn, now, client_id, days)
    return Response(body, media_type="application/json")
