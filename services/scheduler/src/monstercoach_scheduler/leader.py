"""One active scheduler: a PostgreSQL session advisory lock on a direct connection.

The lock lives as long as the session, so a scheduler that dies (crash, kill -9, lost
network) releases it with its connection, and a standby polling
``pg_try_advisory_lock`` takes over within one poll. It needs a direct (non-pooled)
connection: behind PgBouncer's transaction pooling a session lock would land on a
server connection shared with strangers.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from monstercoach_kit.db import connect_direct
from monstercoach_kit.log import get_logger
from monstercoach_kit.settings import KitSettings

log = get_logger(__name__)

_DB_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Leadership:
    """Holds (or waits for) the scheduler's advisory lock."""

    def __init__(self, settings: KitSettings, lock_id: int):
        self.settings = settings
        self.lock_id = lock_id
        self._conn: asyncpg.Connection | None = None

    async def acquire(self, stop: asyncio.Event, poll_seconds: float) -> bool:
        """Wait until this process holds the lock (``True``) or ``stop`` is set (``False``)."""
        waiting_logged = False
        while not stop.is_set():
            if await self._try_lock():
                return True
            if not waiting_logged:
                log.info("another scheduler is active; standing by", status="standby")
                waiting_logged = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
        return False

    async def _try_lock(self) -> bool:
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await connect_direct(self.settings)
            return bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.lock_id))
        except _DB_ERRORS as exc:
            log.warning("cannot reach PostgreSQL for the lock", status="waiting", error=str(exc))
            await self.release()
            return False

    async def held(self) -> bool:
        """Whether the lock's session is still alive (so the lock is still ours)."""
        if self._conn is None or self._conn.is_closed():
            return False
        try:
            async with asyncio.timeout(5):
                await self._conn.fetchval("SELECT 1")
        except _DB_ERRORS:
            await self.release()
            return False
        return True

    async def release(self) -> None:
        """Close the session, which releases the lock."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(*_DB_ERRORS):
                await asyncio.wait_for(conn.close(), timeout=2)
        if conn is not None and not conn.is_closed():
            conn.terminate()
