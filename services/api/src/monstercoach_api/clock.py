"""The request's notion of "now", injectable so tests can pin a client's local day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends


async def utc_now() -> datetime:
    # async although it awaits nothing: FastAPI runs a plain function dependency in a
    # worker thread, a hop that costs more than reading the clock.
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(utc_now)]
