"""The bot's delivery against real Redis and the Discord simulator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis

from monstercoach_bot.delivery import Deliverer, DeliveryRecords, Sender
from monstercoach_bot.discord_rest import open_discord
from monstercoach_bot.settings import BotSettings
from monstercoach_discord_sim import Simulator
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.domain import DeliveryKind
from monstercoach_schemas.messages import (
    Button,
    DeliveryOutcome,
    DeliveryOutcomePayload,
    DeliveryRequested,
    DeliveryRequestedPayload,
    parse_message,
)
from monstercoach_schemas.streams import Stream
from tests.bot.harness import Harness, running_bot
from tests.discord_sim.conftest import TOKEN, sim  # noqa: F401  (the simulator fixture)


def bot_settings_for(api_base: str, **overrides: Any) -> BotSettings:
    """Fast retries and short timeouts so failure paths take milliseconds."""
    options: dict[str, Any] = {
        "DISCORD_TOKEN": TOKEN,
        "discord_api_base": api_base,
        "discord_requests_per_second": 50.0,
        "delivery_backoff_seconds": 0.01,
        "delivery_attempt_timeout_seconds": 2.0,
        **overrides,
    }
    return BotSettings(_env_file=None, **options)


@pytest.fixture
def bot_settings(sim: Simulator) -> BotSettings:  # noqa: F811
    return bot_settings_for(sim.api_base)


@pytest.fixture
async def sender(
    bot_settings: BotSettings, redis: aioredis.Redis, redis_prefix: str
) -> AsyncIterator[Sender]:
    async with open_discord(bot_settings, redis, redis_prefix) as discord_sender:
        yield discord_sender


def records(redis: aioredis.Redis, prefix: str) -> DeliveryRecords:
    return DeliveryRecords(redis, prefix, timedelta(days=1))


@pytest.fixture
def deliverer(
    bus: StreamBus,
    redis: aioredis.Redis,
    redis_prefix: str,
    sender: Sender,
    bot_settings: BotSettings,
) -> Deliverer:
    return Deliverer(bus, records(redis, redis_prefix), sender, bot_settings)


def user_id(n: int) -> str:
    return str(300_000_000_000_000_000 + n)


def delivery(recipient: str, **overrides: Any) -> DeliveryRequested:
    payload: dict[str, Any] = {
        "delivery_id": uuid.uuid4(),
        "recipient_discord_id": recipient,
        "kind": DeliveryKind.JOBCARD,
        "text": "Today's job card: 10k steps, 2 L water.",
        "buttons": [
            Button(custom_id="jobcard:done:1", label="Done", style="success"),
            Button(custom_id="jobcard:skip:1", label="Skip"),
        ],
        **overrides,
    }
    return DeliveryRequested(
        idempotency_key=f"delivery:{payload['delivery_id']}",
        payload=DeliveryRequestedPayload(**payload),
    )


async def outcomes(bus: StreamBus) -> list[DeliveryOutcomePayload]:
    """Every delivery outcome published on the events stream, oldest first."""
    entries = await bus.redis.xrange(bus.key(Stream.EVENTS))
    found = []
    for _entry_id, fields in entries:
        message = parse_message(fields[b"data"])
        assert isinstance(message, DeliveryOutcome)
        found.append(message.payload)
    return found


@pytest.fixture
async def harness(
    sim: Simulator,  # noqa: F811
    pool: asyncpg.Pool,
    bus: StreamBus,
    redis: aioredis.Redis,
    redis_prefix: str,
) -> AsyncIterator[Harness]:
    """A running gateway bot (see ``tests/bot/harness.py``)."""
    async with running_bot(sim, pool, bus, redis, redis_prefix) as running:
        yield running
