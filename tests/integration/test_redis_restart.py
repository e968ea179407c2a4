"""A dedicated Redis with AOF (``appendfsync always``) killed and restarted mid-load.

Every service points at it. Redis is killed with SIGKILL (a crash, not a clean
shutdown that would save), stays down for a few seconds while the scheduler ticks (its
fires are recorded and owed to the bus), then comes back from its append-only file.
Nothing acknowledged was lost, so every stream, consumer group, pending list and the
bot's delivery records are as they were; the services reconnect on their own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from monstercoach_schemas.streams import Stream

from .conftest import MakeStack, Stack
from .load import Day, future_day, seed_clients
from .processes import RedisServer

CLIENTS = 100
DOWN_SECONDS = 3.0


@pytest.fixture
async def dedicated_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


async def lengths(stack: Stack) -> dict[str, int]:
    return {s.value: int(await stack.redis.xlen(stack.bus.key(s))) for s in Stream}


@pytest.mark.timeout(180)
async def test_redis_killed_and_restarted_from_its_aof_mid_load(
    dedicated_redis: RedisServer, make_stack: MakeStack
) -> None:
    started = time.monotonic()
    stack = await make_stack(redis_url=dedicated_redis.url)
    clients = await seed_clients(stack.pool, CLIENTS)
    day = Day(stack.pool, stack.bus, clients, future_day())
    await day.prepare()
    await stack.start("api", "bot", "scheduler")
    ticks = day.ticks(24, 3)
    for at in ticks[:4]:
        await day.tick(at)

    await stack.until_dms(100)
    before = await lengths(stack)
    await dedicated_redis.kill9()
    sent_at_kill = await stack.dms_sent()

    # The scheduler keeps its clock while Redis is down: the fires are recorded in the
    # ledger and owed to the bus until a tick can publish them.
    await day.ticker().tick(ticks[4])
    owed = await stack.pool.fetchval(
        "SELECT count(*) FROM trigger_fires WHERE status = 'fired' AND enqueued_at IS NULL"
    )
    assert owed, "the tick during the outage had nothing to defer"
    await asyncio.sleep(DOWN_SECONDS)
    await dedicated_redis.start()

    after = await lengths(stack)
    for stream, length in before.items():
        assert after[stream] >= length, f"{stream} lost entries: {length} -> {after[stream]}"
    day.last_tick = ticks[4]
    await day.tick(ticks[4])  # publishes what the outage deferred; the clients answer
    for at in ticks[5:]:
        await day.tick(at)

    end = stack.end_state(day)
    settled = await end.wait(within=90)
    summary = await end.check(allow_missed=False)
    assert all(service.runs == 1 for service in stack.services.values()), "a service died"
    version = (await stack.redis.info("server"))["redis_version"]
    print(
        f"\nFIGURES redis {version} restart: {summary}; {sent_at_kill} DMs before the kill, "
        f"{owed} fires deferred; settled {settled:.1f}s after the day; "
        f"{time.monotonic() - started:.1f}s"
    )
