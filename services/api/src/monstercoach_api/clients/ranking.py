"""Every client's 7-day window and compliance rate, kept up to date in the background in
``client_weeks`` and ``roster_keys`` rather than computed by the requests that show or
sort by them.

A roster row shows the client's 7-day compliance and its seven days; sorting by it needs
every matching client's rate before the first page can be cut (~35 job-card items per
client, 350,000 rows at 10,000 clients, over a second of PostgreSQL work; see
docs/benchmarks.md). The window covers complete local days only, so it changes when a
client's day rolls over or a late event lands on a past day — not from one request to
the next. So both are stored, by one statement, and served stale-while-revalidate: any
roster request older than ``TTL`` after the last computation starts one recomputation on
its own pooled connection and goes on at once. A compliance-sorted page reads the rates
as they are (at worst a minute or two old); only such a page that finds nothing ever
computed waits, and the tables outlive the process, so a restart does not. A row reads
its client's stored week only where it is the window of their local today and not stale
(the api's ingest marks it stale on an event about one of its days,
``repository.mark_stale``), and computes it otherwise, so a row is never a day behind.
A recomputation writes only the weeks that no longer fit, and every client's once every
``FULL_TTL``, which is when what the ingest does not see shows.

Several api processes share the tables. The transaction that writes them holds an
advisory lock: a process that finds the lock taken skips its turn (what is being written
serves it too), and one that takes it after another process's recent write adopts that
instead of computing it again.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import asyncpg
from fastapi import Request

from monstercoach_kit.log import get_logger

from ..db import without_jit
from . import repository

log = get_logger(__name__)

TTL = timedelta(seconds=60)
FULL_TTL = timedelta(minutes=10)
"""How often a process recomputes every client's week rather than only those that no
longer fit (new client, day rolled over, marked stale): what the api's ingest does not
see (the scheduler's own ledger, a deleted record) shows within this. At 1,000 clients
a full pass costs 65 to 85 ms of PostgreSQL, an incremental one with nothing to do 2 to
4."""


class WeeklyRates:
    """One per app (``app.state.weekly_rates``); :meth:`aclose` before the pool closes."""

    def __init__(self, ttl: timedelta = TTL, full_ttl: timedelta = FULL_TTL) -> None:
        self.ttl = ttl
        self.full_ttl = full_ttl
        self._computed_at: datetime | None = None
        """The instant the weeks and rates were computed as of, as far as this process
        knows."""
        self._full_at: datetime | None = None
        """The instant of this process's last full pass."""
        self._refresh: asyncio.Task[None] | None = None

    async def ready(
        self, conn: asyncpg.Connection, pool: asyncpg.Pool, now: datetime, *, ranked: bool = True
    ) -> None:
        """Make the stored weeks and rates fit for a page read on ``conn`` as of ``now``:
        start a recomputation if they are stale; wait for it only if the page is sorted by
        the rates (``ranked``) and there are none (rows compute a week not stored)."""
        if self._computed_at is None:
            self._computed_at = await repository.ranking_computed_at(conn)
        if self._refresh is None and self._stale(now):
            self._refresh = asyncio.create_task(self._recompute(pool, now))
            self._refresh.add_done_callback(self._finished)
        if ranked and self._computed_at is None:
            assert self._refresh is not None
            # Shielded: one waiting request that gives up must not cancel it for all.
            await asyncio.shield(self._refresh)

    @property
    def refreshing(self) -> asyncio.Task[None] | None:
        """The recomputation under way, if any (tests wait for it)."""
        return self._refresh

    async def aclose(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            await asyncio.gather(self._refresh, return_exceptions=True)

    def _stale(self, now: datetime) -> bool:
        return self._computed_at is None or not self._recent(self._computed_at, now)

    def _recent(self, computed: datetime, now: datetime) -> bool:
        # Either side of now: another process's clock may run a little ahead of this one's.
        return abs(now - computed) < self.ttl

    async def _recompute(self, pool: asyncpg.Pool, now: datetime) -> None:
        async with pool.acquire() as conn, conn.transaction():
            # With no weeks at all, a request may be waiting: wait for another process's
            # write rather than answer it with nothing to sort by.
            if not await repository.lock_ranking(conn, wait=self._computed_at is None):
                # Another process is writing the weeks as of about now; this one's turn
                # comes after the TTL rather than on the next request.
                self._computed_at = now
                return
            computed = await repository.ranking_computed_at(conn)
            if computed is None or not self._recent(computed, now):
                full = self._full_at is None or abs(now - self._full_at) >= self.full_ttl
                await without_jit(conn)
                await repository.store_ranking(conn, now, full=full)
                computed = now
                if full:
                    self._full_at = now
        self._computed_at = computed

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._refresh = None
        if not task.cancelled() and task.exception() is not None:
            # The stored weeks stay in use; the next request tries again.
            log.warning("stored weeks refresh failed", status="error", exc_info=task.exception())


def weekly_rates(request: Request) -> WeeklyRates:
    rates: WeeklyRates = request.app.state.weekly_rates
    return rates
