"""``/deliveries`` and ``/missed``: what was sent to whom, and what went unanswered."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query

from monstercoach_schemas.domain import DeliveryKind, DeliveryStatus
from monstercoach_schemas.types import Timestamp

from ..db import ConnectionDep
from ..errors import error_responses
from ..filters import values_of
from ..paging import PagingDep
from ..routing import coach_router
from . import repository
from .schemas import DeliveryPage, DeliveryView, MissedPage, MissedView

router = coach_router("deliveries")


def window(
    client_id: UUID | None = None,
    since: Annotated[Timestamp | None, Query(description="from this instant (inclusive)")] = None,
    until: Annotated[Timestamp | None, Query(description="before this instant")] = None,
) -> repository.Window:
    return repository.Window(client_id=client_id, since=since, until=until)


WindowDep = Annotated[repository.Window, Depends(window)]


@router.get("/deliveries", responses=error_responses(422))
async def deliveries_list(
    conn: ConnectionDep,
    paging: PagingDep,
    span: WindowDep,
    status: Annotated[list[DeliveryStatus] | None, Query(description="any of")] = None,
    kind: Annotated[list[DeliveryKind] | None, Query(description="any of")] = None,
) -> DeliveryPage:
    """Every DM asked for (scheduled, nudges, coach digests) and its outcome, newest first."""
    rows, total = await repository.list_deliveries(
        conn, span, values_of(status), values_of(kind), paging
    )
    return DeliveryPage.of([DeliveryView.model_validate(dict(row)) for row in rows], total, paging)


@router.get("/missed", responses=error_responses(422))
async def missed_list(
    conn: ConnectionDep,
    paging: PagingDep,
    span: WindowDep,
    engine: Annotated[str | None, Query(max_length=40)] = None,
    trigger: Annotated[str | None, Query(max_length=60)] = None,
) -> MissedPage:
    """Scheduler fires that became missed (no answer by the deadline, undeliverable,
    scheduler down), newest first."""
    rows, total = await repository.list_missed(conn, span, engine, trigger, paging)
    return MissedPage.of([MissedView.model_validate(dict(row)) for row in rows], total, paging)
