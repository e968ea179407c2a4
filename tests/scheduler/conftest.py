"""Scheduler fixtures: clients in chosen zones, a ticker on the test database and bus."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from monstercoach_kit.bus import StreamBus
from monstercoach_scheduler.settings import SchedulerSettings
from monstercoach_scheduler.tick import Ticker
from monstercoach_schemas.messages import Message, parse_message

AddClient = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture
async def coach(pool: asyncpg.Pool) -> uuid.UUID:
    coach_id = uuid.uuid4()
    await pool.execute(
        "INSERT INTO coaches (id, discord_user_id, display_name, time_zone) "
        "VALUES ($1, '100000000000000001', 'Coach Kim', 'Europe/London')",
        coach_id,
    )
    return coach_id


@pytest.fixture
def add_client(pool: asyncpg.Pool, coach: uuid.UUID) -> AddClient:
    counter = iter(range(10**6))

    async def add(time_zone: str = "UTC", status: str = "active", **columns: Any) -> uuid.UUID:
        client_id = uuid.uuid4()
        n = next(counter)
        values = {
            "id": client_id,
            "coach_id": coach,
            "discord_user_id": str(200000000000000000 + n),
            "display_name": f"Client {n}",
            "time_zone": time_zone,
            "status": status,
            **columns,
        }
        names = ", ".join(values)
        params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
        await pool.execute(f"INSERT INTO clients ({names}) VALUES ({params})", *values.values())
        return client_id

    return add


@pytest.fixture
def scheduler_settings() -> SchedulerSettings:
    return SchedulerSettings(resync_lag_seconds=0)


@pytest.fixture
def ticker(pool: asyncpg.Pool, bus: StreamBus, scheduler_settings: SchedulerSettings) -> Ticker:
    return Ticker(pool, bus, scheduler_settings, coach_zone="Europe/London")


async def read_stream(bus: StreamBus, stream: str) -> list[Message]:
    entries = await bus.redis.xrange(bus.key(stream))
    return [parse_message(fields[b"data"]) for _, fields in entries]
