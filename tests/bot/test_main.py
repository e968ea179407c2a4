"""The bot's main wires settings, the deliveries consumer and Discord together."""

from __future__ import annotations

import asyncio

import pytest

from monstercoach_bot.main import run
from monstercoach_discord_sim import Simulator
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.domain import DeliveryStatus
from tests.bot.conftest import delivery, outcomes, user_id
from tests.conftest import REDIS_URL
from tests.discord_sim.conftest import TOKEN

USER = user_id(7)


async def test_main_delivers_from_the_stream(
    monkeypatch: pytest.MonkeyPatch, bus: StreamBus, redis_prefix: str, sim: Simulator
) -> None:
    # Dry-run start-up and shutdown are covered by tests/services/test_entrypoints.py.
    for name, value in {
        "REDIS_URL": REDIS_URL,
        "MC_KEY_PREFIX": redis_prefix,
        "DISCORD_TOKEN": TOKEN,
        "BOT_DISCORD_API_BASE": sim.api_base,
        # With a token the gateway runs beside delivery (tests/bot/test_gateway.py).
        "BOT_DISCORD_GATEWAY_URL": sim.gateway_url,
    }.items():
        monkeypatch.setenv(name, value)
    await bus.publish(delivery(USER))
    stop = asyncio.Event()
    task = asyncio.create_task(run(stop))
    try:
        async with asyncio.timeout(10):
            while not await outcomes(bus):  # noqa: ASYNC110 - the state is in Redis
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    [outcome] = await outcomes(bus)
    assert outcome.status is DeliveryStatus.SENT
    assert sim.world.message_counts() == {USER: 1}
