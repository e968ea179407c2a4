"""The shared limiter keeps every Discord call under the global limit.

Nothing here times anything: the simulator enforces a global window and counts the 429s
it had to serve. Each claim has a control that makes the same simulator serve 429s, so
the count is shown to catch an excess.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from monstercoach_bot.delivery import Deliverer
from monstercoach_bot.discord_rest import open_discord
from monstercoach_discord_sim import BucketSpec, SimConfig, Simulator
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.domain import DeliveryStatus
from tests.bot.conftest import bot_settings_for, delivery, outcomes, records, user_id
from tests.discord_sim.conftest import simulated

# 50/s like Discord, counted in windows of a fifth of a second to keep the tests short.
GLOBAL = BucketSpec(10, 0.2)
UNDER = 35.0
"""Requests/s each limiter allows in the passing cases: under 50/s with room for jitter."""


@contextlib.asynccontextmanager
async def bot_instance(
    sim: Simulator, bus: StreamBus, redis: aioredis.Redis, prefix: str, rate: float
) -> AsyncIterator[Deliverer]:
    """One bot process: its own discord.py client; the limiter is shared by ``prefix``."""
    settings = bot_settings_for(sim.api_base, discord_requests_per_second=rate)
    async with open_discord(settings, redis, prefix) as sender:
        yield Deliverer(bus, records(redis, prefix), sender, settings)


async def deliver_all(deliverer: Deliverer, first: int, count: int) -> None:
    """Deliveries to distinct users (two calls each), all sent concurrently."""
    await deliverer([delivery(user_id(n)) for n in range(first, first + count)])


@pytest.fixture
async def limited_sim() -> AsyncIterator[Simulator]:
    async with simulated(SimConfig(global_limit=GLOBAL)) as simulator:
        yield simulator


# The control: a Discord stricter (20/s) than the limiter's pace.
@pytest.mark.parametrize(("limit", "over"), [(GLOBAL, False), (BucketSpec(4, 0.2), True)])
async def test_one_instance_stays_under_the_global_limit(
    bus: StreamBus, redis: aioredis.Redis, redis_prefix: str, limit: BucketSpec, over: bool
) -> None:
    async with (
        simulated(SimConfig(global_limit=limit)) as sim,
        bot_instance(sim, bus, redis, redis_prefix, UNDER) as deliverer,
    ):
        await deliver_all(deliverer, 0, 6)
    # Sent either way (discord.py waits out global 429s); only the limiter avoids them.
    assert {o.status for o in await outcomes(bus)} == {DeliveryStatus.SENT}
    assert (sim.stats.global_429s > 0) is over


@pytest.mark.parametrize(("shared", "over"), [(True, False), (False, True)])
async def test_instances_share_one_limit(
    limited_sim: Simulator,
    bus: StreamBus,
    redis: aioredis.Redis,
    redis_prefix: str,
    shared: bool,
    over: bool,
) -> None:
    # Two bot processes with one bot token: the limit is Discord's per token, so only a
    # limiter they share keeps the sum under it.
    second_prefix = redis_prefix if shared else f"{redis_prefix}second:"
    async with (
        bot_instance(limited_sim, bus, redis, redis_prefix, UNDER) as first,
        bot_instance(limited_sim, bus, redis, second_prefix, UNDER) as second,
    ):
        await asyncio.gather(deliver_all(first, 0, 5), deliver_all(second, 100, 5))
    assert sum(limited_sim.world.message_counts().values()) == 10
    assert (limited_sim.stats.global_429s > 0) is over
