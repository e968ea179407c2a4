"""IdempotentHandler's use of the pool: a connection kept between close batches only."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg

from monstercoach_kit.idempotency import KEEP_CONNECTION_SECONDS, IdempotentHandler
from monstercoach_schemas.messages import Message

from .test_bus import scan


def in_use(pool: asyncpg.Pool) -> int:
    return pool.get_size() - pool.get_idle_size()


class TestConnection:
    async def test_back_to_back_batches_share_a_connection_released_soon_after(
        self, pool: asyncpg.Pool
    ) -> None:
        backends: list[int] = []

        async def apply(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
            backends.append(await conn.fetchval("SELECT pg_backend_pid()"))

        handler = IdempotentHandler(pool, "t", apply)
        assert await handler([scan(1)]) == [None]
        assert await handler([scan(2)]) == [None]
        assert backends[0] == backends[1]  # no release (and its reset) in between
        assert in_use(pool) == 1
        await asyncio.sleep(KEEP_CONNECTION_SECONDS + 0.1)
        assert in_use(pool) == 0

    async def test_a_failed_batch_gives_its_connection_back_at_once(
        self, pool: asyncpg.Pool
    ) -> None:
        async def broken(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
            await conn.execute("SELECT 1 / 0")

        [error] = await IdempotentHandler(pool, "t", broken)([scan(1)])
        assert isinstance(error, asyncpg.DivisionByZeroError)
        assert in_use(pool) == 0
