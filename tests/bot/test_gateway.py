"""The gateway client as ``main`` runs it: commands synced, DMs only, beside delivery."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from monstercoach_bot.gateway import DISALLOWED_INTENT, LOGIN_REFUSED, GatewayRefused
from monstercoach_bot.main import run
from monstercoach_discord_sim import SimConfig
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.messages import DmReceived
from tests.bot.harness import COACH, Harness, add_client, discord_user, published
from tests.conftest import REDIS_URL
from tests.discord_sim.conftest import TOKEN, simulated

CLIENT = discord_user(9)
GUILDS, DIRECT_MESSAGES = 1 << 0, 1 << 12

CLIENT_COMMANDS = {"start", "help", "checkin", "meal", "jobcard", "week"}
COACH_COMMANDS = {"roster", "flags", "nudge", "client"}


async def test_commands_are_synced_for_dms(harness: Harness) -> None:
    [commands] = harness.sim.world.commands.values()
    contexts = {c["name"]: c["contexts"] for c in commands}
    assert set(contexts) == CLIENT_COMMANDS | COACH_COMMANDS
    # 1: the bot's DMs; 0: servers, where coach answers are ephemeral.
    assert all(contexts[name] == [1] for name in CLIENT_COMMANDS)
    assert all(contexts[name] == [0, 1] for name in COACH_COMMANDS)
    assert all(c["integration_types"] == [0] for c in commands)
    client = next(c for c in commands if c["name"] == "client")
    assert [o["name"] for o in client["options"]] == ["add", "pause", "archive"]


async def test_the_gateway_asks_for_nothing_privileged(harness: Harness) -> None:
    assert harness.sim.gateway.identified[-1]["intents"] == GUILDS | DIRECT_MESSAGES


def environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


async def test_main_relays_a_dm_to_the_coach(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    pool: asyncpg.Pool,
    bus: StreamBus,
    redis_prefix: str,
) -> None:
    """The whole bot process: the DM comes in over the gateway, its relay goes out
    through the same process's delivery runner."""
    await add_client(pool, CLIENT, "Sam Carter")
    async with simulated() as sim:
        environment(
            monkeypatch,
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": REDIS_URL,
                "MC_KEY_PREFIX": redis_prefix,
                "DISCORD_TOKEN": TOKEN,
                "BOT_DISCORD_API_BASE": sim.api_base,
                "BOT_DISCORD_GATEWAY_URL": sim.gateway_url,
                "COACH_DISCORD_IDS": COACH,
            },
        )
        stop = asyncio.Event()
        task = asyncio.create_task(run(stop))
        try:
            await sim.world.wait_for(lambda: sim.gateway.sessions, within=10)
            assert sim.world.commands  # synced on start-up
            message = sim.world.user_writes(CLIENT, "Can we move Thursday's call?")
            await sim.gateway.dispatch("MESSAGE_CREATE", message)
            [relay] = await sim.world.wait_for(lambda: sim.world.messages_to(COACH), within=10)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=5)
    assert relay["content"].startswith("📨 **Sam Carter** wrote:\nCan we move Thursday's call?")
    assert [type(m) for m in await published(bus) if isinstance(m, DmReceived)] == [DmReceived]


async def test_a_refused_intent_stops_the_bot_saying_why(
    monkeypatch: pytest.MonkeyPatch, redis_prefix: str
) -> None:
    async with simulated(SimConfig(message_content_granted=False)) as sim:
        environment(
            monkeypatch,
            {
                "REDIS_URL": REDIS_URL,
                "MC_KEY_PREFIX": redis_prefix,
                "DISCORD_TOKEN": TOKEN,
                "BOT_DISCORD_API_BASE": sim.api_base,
                "BOT_DISCORD_GATEWAY_URL": sim.gateway_url,
                "BOT_MESSAGE_CONTENT_INTENT": "true",
            },
        )
        with pytest.raises(GatewayRefused) as stopped:
            await asyncio.wait_for(run(asyncio.Event()), timeout=10)
    assert str(stopped.value) == DISALLOWED_INTENT


async def test_a_refused_token_stops_the_bot_saying_why(
    monkeypatch: pytest.MonkeyPatch, redis_prefix: str
) -> None:
    async with simulated(SimConfig(token="the-real-one")) as sim:
        environment(
            monkeypatch,
            {
                "REDIS_URL": REDIS_URL,
                "MC_KEY_PREFIX": redis_prefix,
                "DISCORD_TOKEN": "a-wrong-one",
                "BOT_DISCORD_API_BASE": sim.api_base,
                "BOT_DISCORD_GATEWAY_URL": sim.gateway_url,
            },
        )
        with pytest.raises(GatewayRefused) as stopped:
            await asyncio.wait_for(run(asyncio.Event()), timeout=10)
    assert str(stopped.value) == LOGIN_REFUSED
