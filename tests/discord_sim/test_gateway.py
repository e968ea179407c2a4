"""The simulator's gateway, as discord.py's real websocket client sees it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from monstercoach_discord_sim import SimConfig, Simulator
from tests.discord_sim.conftest import TOKEN, simulated

USER = "300000000000000002"


def intents(*, dms: bool = True, content: bool = False) -> discord.Intents:
    chosen = discord.Intents.none()
    chosen.dm_messages = dms
    chosen.message_content = content
    return chosen


class Listener(discord.Client):
    def __init__(self, chosen: discord.Intents) -> None:
        super().__init__(intents=chosen)
        self.received: asyncio.Queue[discord.Message] = asyncio.Queue()

    async def on_message(self, message: discord.Message) -> None:
        await self.received.put(message)


@pytest.fixture
async def gateway_sim() -> AsyncIterator[Simulator]:
    original = DiscordWebSocket.DEFAULT_GATEWAY
    async with simulated() as sim:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sim.gateway_url)
        try:
            yield sim
        finally:
            DiscordWebSocket.DEFAULT_GATEWAY = original


async def connected(sim: Simulator, client: discord.Client) -> asyncio.Task[None]:
    await client.login(TOKEN)
    task = asyncio.create_task(client.connect(reconnect=False))
    await sim.world.wait_for(lambda: sim.gateway.sessions)
    return task


async def test_a_dm_arrives_through_discord_pys_websocket(gateway_sim: Simulator) -> None:
    sim = gateway_sim
    async with Listener(intents()) as client:
        listening = await connected(sim, client)
        sent = sim.world.user_writes(USER, "hello coach")
        assert await sim.gateway.dispatch("MESSAGE_CREATE", sent) == 1
        message = await asyncio.wait_for(client.received.get(), timeout=5)
        assert isinstance(message.channel, discord.DMChannel)
        assert (message.content, str(message.author.id)) == ("hello coach", USER)
        assert client.user is not None
        assert str(client.user.id) == sim.world.bot_for(TOKEN)["id"]
        await client.close()
        await listening
    # discord.py asked for zlib-stream (no zstandard here), identified with its intents.
    [identify] = sim.gateway.identified
    assert identify["token"] == TOKEN
    assert identify["intents"] == intents().value


async def test_a_session_without_the_dm_intent_gets_no_dms(gateway_sim: Simulator) -> None:
    sim = gateway_sim
    async with Listener(intents(dms=False)) as client:
        listening = await connected(sim, client)
        assert await sim.gateway.dispatch("MESSAGE_CREATE", sim.world.user_writes(USER, "hi")) == 0
        await client.close()
        await listening


async def test_a_privileged_intent_not_granted_closes_with_4014() -> None:
    original = DiscordWebSocket.DEFAULT_GATEWAY
    async with simulated(SimConfig(message_content_granted=False)) as sim:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sim.gateway_url)
        try:
            async with Listener(intents(content=True)) as client:
                await client.login(TOKEN)
                with pytest.raises(discord.PrivilegedIntentsRequired):
                    await asyncio.wait_for(client.connect(reconnect=True), timeout=5)
        finally:
            DiscordWebSocket.DEFAULT_GATEWAY = original
    assert sim.gateway.sessions == []
