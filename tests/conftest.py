"""Fixtures shared by the whole suite: real PostgreSQL and real Redis, isolated.

* One throwaway database per test session (per xdist worker), migrated once with the
  real migrations and dropped at the end; tests that write get truncated tables.
* Redis keys under a fresh prefix per test, deleted afterwards.

The servers come from ``TEST_DATABASE_URL`` (any database on the server; used to
create the throwaway one) and ``TEST_REDIS_URL``.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
import redis.asyncio as aioredis

from monstercoach_kit.bus import StreamBus
from monstercoach_kit.db import create_pool
from monstercoach_kit.migrate import upgrade
from monstercoach_kit.settings import KitSettings

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _database_url(name: str) -> str:
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    name = f"mc_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = _database_url(name)
    upgrade(url)
    yield url
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def kit_settings(database_url: str, redis_prefix: str) -> KitSettings:
    return KitSettings(
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        key_prefix=redis_prefix,
        environment="test",
    )


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the session database; every table is emptied after the test."""
    settings = KitSettings(DATABASE_URL=database_url)
    db_pool = await create_pool(settings, min_size=1, max_size=5)
    try:
        yield db_pool
    finally:
        async with db_pool.acquire() as conn:
            tables = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
            names = ", ".join(f'"{row[0]}"' for row in tables)
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        await db_pool.close()


@pytest.fixture
def redis_prefix() -> str:
    return f"mctest:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def redis(redis_prefix: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{redis_prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
def bus(redis: aioredis.Redis, redis_prefix: str) -> StreamBus:
    return StreamBus(redis, prefix=redis_prefix)
