"""The bot's gateway client against the Discord simulator, with real PostgreSQL and Redis.

A :class:`Harness` is one running bot: logged in over REST, its commands synced (so the
simulator knows each option's type), connected to the simulator's gateway. A test acts
as a Discord user through the simulator — ``slash``, ``click``, ``submit``, ``dm`` —
whose interaction or message travels the real gateway into discord.py, and gets back
what the bot answered (the interaction callback the simulator received). Nothing of
discord.py is mocked.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import redis.asyncio as aioredis
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from monstercoach_bot.discord_rest import DiscordSender, DmChannels
from monstercoach_bot.features.common import Services
from monstercoach_bot.gateway import CoachBot, sync_commands
from monstercoach_bot.render import build_view, delivery_nonce
from monstercoach_bot.settings import BotSettings
from monstercoach_discord_sim import Simulator
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.messages import Button, Message, parse_message
from monstercoach_schemas.streams import Stream
from tests.discord_sim.conftest import TOKEN

JsonObject = dict[str, Any]

COACH = "200000000000000001"
COACH_2 = "200000000000000002"
EPHEMERAL = 64
MESSAGE, DEFERRED, UPDATE, AUTOCOMPLETE, MODAL = 4, 5, 7, 8, 9


def discord_user(n: int) -> str:
    return str(400_000_000_000_000_000 + n)


def gateway_settings(sim: Simulator, **overrides: Any) -> BotSettings:
    options: dict[str, Any] = {
        "DISCORD_TOKEN": TOKEN,
        "discord_api_base": sim.api_base,
        "discord_gateway_url": sim.gateway_url,
        "COACH_DISCORD_IDS": f"{COACH},{COACH_2}",
        **overrides,
    }
    return BotSettings(_env_file=None, **options)


@dataclass
class Harness:
    sim: Simulator
    bot: CoachBot
    services: Services

    @property
    def bus(self) -> StreamBus:
        return self.services.bus

    def at(self, instant: datetime) -> None:
        """Fix the bot's clock (the client's local date follows from it)."""
        self.services.clock = lambda: instant

    # --- acting as a Discord user ---------------------------------------------------------

    async def interact(self, payload: JsonObject) -> JsonObject:
        """Send an interaction through the gateway; the bot's callback body."""
        await self.sim.gateway.dispatch("INTERACTION_CREATE", payload)
        return await self.sim.world.callback_for(payload)

    async def slash(self, user: str, path: str, /, **values: Any) -> tuple[JsonObject, JsonObject]:
        """``/path`` by ``user``: (the interaction, the bot's answer)."""
        payload = self.sim.interactions.command(user, path, **values)
        return payload, await self.interact(payload)

    async def autocomplete(
        self, user: str, path: str, focused: str, /, **values: Any
    ) -> list[JsonObject]:
        payload = self.sim.interactions.autocomplete(user, path, focused, **values)
        answer = await self.interact(payload)
        assert answer["type"] == AUTOCOMPLETE
        choices: list[JsonObject] = answer["data"]["choices"]
        return choices

    async def click(
        self, user: str, message: JsonObject, custom_id: str
    ) -> tuple[JsonObject, JsonObject]:
        payload = self.sim.interactions.click(user, message, custom_id)
        return payload, await self.interact(payload)

    async def submit(
        self, opened: JsonObject, values: dict[str, Any], *, unchecked: bool = False
    ) -> JsonObject:
        payload = self.sim.interactions.submit(opened, values, unchecked=unchecked)
        return await self.interact(payload)

    async def dm(self, user: str, text: str) -> JsonObject:
        """``user`` writes to the bot; returns the message (the bot reacts or answers)."""
        message = self.sim.world.user_writes(user, text)
        await self.sim.gateway.dispatch("MESSAGE_CREATE", message)
        return message

    # --- what came out ---------------------------------------------------------------------

    async def published(self, stream: Stream = Stream.EVENTS) -> list[Message]:
        return await published(self.bus, stream)


async def published(bus: StreamBus, stream: Stream = Stream.EVENTS) -> list[Message]:
    entries = await bus.redis.xrange(bus.key(stream))
    return [parse_message(fields[b"data"]) for _id, fields in entries]


@contextlib.contextmanager
def aimed_at(sim: Simulator) -> Any:
    """discord.py's REST base and gateway URL at the simulator, restored afterwards."""
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = sim.api_base, yarl.URL(sim.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@contextlib.asynccontextmanager
async def running_bot(
    sim: Simulator,
    pool: asyncpg.Pool,
    bus: StreamBus,
    redis: aioredis.Redis,
    prefix: str,
    settings: BotSettings | None = None,
) -> AsyncIterator[Harness]:
    """A bot instance as ``main`` starts one: log in, sync, connect to the gateway."""
    settings = settings or gateway_settings(sim)
    services = Services(settings=settings, bus=bus, pool=pool, redis=redis, key_prefix=prefix)
    with aimed_at(sim):
        async with CoachBot(services) as bot:
            await bot.login(TOKEN)
            await sync_commands(bot)
            sessions_before = len(sim.gateway.identified)
            listening = bot.loop.create_task(bot.connect(reconnect=False))
            try:
                await sim.world.wait_for(
                    lambda: len(sim.gateway.identified) > sessions_before and sim.gateway.sessions
                )
                yield Harness(sim, bot, services)
            finally:
                await bot.close()
                await listening


# --- the api's records, as the bot reads them ---------------------------------------------


async def add_client(
    pool: asyncpg.Pool,
    discord_user_id: str,
    name: str = "Sam Carter",
    *,
    time_zone: str = "Europe/Berlin",
    status: str = "active",
    goal: str = "fat_loss",
    last_activity_at: datetime | None = None,
) -> uuid.UUID:
    client_id = uuid.uuid4()
    await pool.execute(
        """
        INSERT INTO clients (id, discord_user_id, display_name, time_zone, status, goal,
                             last_activity_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        client_id,
        discord_user_id,
        name,
        time_zone,
        status,
        goal,
        last_activity_at,
    )
    return client_id


async def add_card(
    pool: asyncpg.Pool,
    client_id: uuid.UUID,
    local_date: date,
    labels: Sequence[str] = ("Hit 150 g protein", "8,000 steps", "Drink 2.5 L water"),
    statuses: Sequence[str] | None = None,
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    card_id, item_ids = uuid.uuid4(), [uuid.uuid4() for _ in labels]
    await pool.execute(
        "INSERT INTO job_cards (id, client_id, local_date, issued_at) VALUES ($1, $2, $3, $4)",
        card_id,
        client_id,
        local_date,
        datetime.now(UTC),
    )
    await pool.executemany(
        "INSERT INTO job_card_items (id, card_id, position, label, status) "
        "VALUES ($1, $2, $3, $4, $5)",
        [
            (item_id, card_id, position, label, (statuses or ["pending"] * len(labels))[position])
            for position, (item_id, label) in enumerate(zip(item_ids, labels, strict=True))
        ],
    )
    return card_id, item_ids


def components(message: JsonObject) -> list[JsonObject]:
    """Every button of a message (or callback data), through its rows."""
    return [c for row in message.get("components") or [] for c in row.get("components") or []]


def modal_fields(modal: JsonObject) -> dict[str, JsonObject]:
    """A modal's fields (text inputs and selects) by custom id, with their label."""
    fields = {}
    for label in modal["components"]:
        inner = label.get("component") or {}
        fields[inner["custom_id"]] = {**inner, "label": label.get("label")}
    return fields


async def deliver(h: Harness, recipient: str, text: str, buttons: Sequence[Button]) -> JsonObject:
    """A DM with buttons, sent the way the delivery runner sends the scheduler's (over
    the bot's own REST client, which saves a login per message)."""
    assert h.bot.user is not None
    channels = DmChannels(h.services.redis, h.services.key_prefix, str(h.bot.user.id))
    sender = DiscordSender(h.bot.http, channels)
    await sender.send(recipient, text, build_view(buttons), delivery_nonce(uuid.uuid4()))
    return h.sim.world.messages_to(recipient)[-1]
