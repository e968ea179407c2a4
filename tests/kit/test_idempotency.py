"""IdempotentHandler's use of the pool: a connection kept between close batches only."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from monstercoach_kit.idempotency import (
    KEEP_CONNECTION_SECONDS,
    IdempotentHandler,
    purge_processed,
)
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


class TestPurge:
    async def insert_keys(self, pool: asyncpg.Pool, ages: dict[str, timedelta]) -> None:
        await pool.executemany(
            "INSERT INTO processed_messages (scope, idempotency_key, processed_at) "
            "VALUES ('t', $1, now() - $2::interval)",
            list(ages.items()),
        )

    async def test_keys_older_than_the_cutoff_go_in_batches_newer_ones_stay(
        self, pool: asyncpg.Pool
    ) -> None:
        old = {f"old-{i}": timedelta(days=40 + i) for i in range(5)}
        recent = {f"new-{i}": timedelta(days=i) for i in range(3)}
        await self.insert_keys(pool, {**old, **recent})
        cutoff = datetime.now(UTC) - timedelta(days=30)
        # Batches of two: three statements for five keys, the last one short.
        assert await purge_processed(pool, cutoff, batch=2) == 5
        left = await pool.fetch("SELECT idempotency_key FROM processed_messages ORDER BY 1")
        assert [row[0] for row in left] == sorted(recent)
        assert await purge_processed(pool, cutoff, batch=2) == 0

    async def test_a_message_whose_key_was_purged_is_applied_again(
        self, pool: asyncpg.Pool
    ) -> None:
        # What the retention must outlast: a key purged too early lets a late duplicate in.
        applied: list[str] = []

        async def apply(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
            applied.extend(message.idempotency_key for message in messages)

        handler = IdempotentHandler(pool, "t", apply)
        message = scan(1)
        assert await handler([message]) == [None]
        assert await handler([message]) == [None]
        assert len(applied) == 1
        assert await purge_processed(pool, datetime.now(UTC) + timedelta(seconds=1)) == 1
        assert await handler([message]) == [None]
        assert len(applied) == 2
