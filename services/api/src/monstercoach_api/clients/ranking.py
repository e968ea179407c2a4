"""The roster's compliance sort key: every client's 7-day rate, kept up to date in the
background rather than computed in the request that sorts.

Sorting by 7-day compliance needs every matching client's figure before the first page
can be cut: ~35 job-card items per client, 350,000 rows at 10,000 clients (over a second
of PostgreSQL work, see docs/benchmarks.md). The figure covers complete local days only,
so it changes when a client's day rolls over or a late answer lands on a past day — not
from one request to the next. So the rates are kept here and served stale-while-
revalidate: a request older than ``TTL`` after the last computation gets the rates at
hand at once and starts one recomputation on its own pooled connection; only the first
request after start-up waits. The rows on the page are computed fresh in any case, so a
coach sees current numbers, at worst ordered by figures a minute or two old.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import Depends, Request

from monstercoach_kit.log import get_logger

from ..compliance.repository import weekly_rates
from ..db import without_jit

log = get_logger(__name__)

TTL = timedelta(seconds=60)

Rates = tuple[list[UUID], list[float]]
"""Client ids and their rates, as parallel arrays (clients with nothing due left out)."""


class WeeklyRates:
    """One per app (``app.state.weekly_rates``); :meth:`aclose` before the pool closes."""

    def __init__(self, ttl: timedelta = TTL) -> None:
        self.ttl = ttl
        self._rates: Rates | None = None
        self._computed_at: datetime | None = None
        self._refresh: asyncio.Task[None] | None = None

    async def get(self, pool: asyncpg.Pool, now: datetime) -> Rates:
        if self._refresh is None and self._stale(now):
            self._refresh = asyncio.create_task(self._recompute(pool, now))
            self._refresh.add_done_callback(self._finished)
        if self._rates is None:
            assert self._refresh is not None
            # Shielded: one waiting request that gives up must not cancel it for all.
            await asyncio.shield(self._refresh)
        assert self._rates is not None
        return self._rates

    @property
    def refreshing(self) -> asyncio.Task[None] | None:
        """The recomputation under way, if any (tests wait for it)."""
        return self._refresh

    async def aclose(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            await asyncio.gather(self._refresh, return_exceptions=True)

    def _stale(self, now: datetime) -> bool:
        computed = self._computed_at
        return computed is None or not computed <= now < computed + self.ttl

    async def _recompute(self, pool: asyncpg.Pool, now: datetime) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await without_jit(conn)
            self._rates = await weekly_rates(conn, now)
        self._computed_at = now

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._refresh = None
        if not task.cancelled() and task.exception() is not None:
            # The rates at hand stay in use; the next request tries again.
            log.warning("compliance ranking failed", status="error", exc_info=task.exception())


async def get_weekly_rates(request: Request) -> WeeklyRates:
    # async although it awaits nothing: FastAPI runs a plain function dependency in a
    # worker thread, a hop that cost more than the lookup on every roster request.
    rates: WeeklyRates = request.app.state.weekly_rates
    return rates


WeeklyRatesDep = Annotated[WeeklyRates, Depends(get_weekly_rates)]
