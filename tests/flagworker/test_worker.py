"""The scan job on the bus: scans are consumed, bad ones dead-lettered, outages survived."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from uuid import UUID, uuid4

import asyncpg
import pytest

from monstercoach_flagworker.review import RulesOnly
from monstercoach_flagworker.scan import Scanner
from monstercoach_flagworker.settings import FlagSettings
from monstercoach_flagworker.worker import consumer_config, run_worker, scan_handler
from monstercoach_kit.bus import Consumer, StreamBus
from monstercoach_schemas.domain import DeliveryKind
from monstercoach_schemas.messages import (
    DeliveryRequested,
    DeliveryRequestedPayload,
    ScanRequested,
    ScanRequestedPayload,
)
from monstercoach_schemas.streams import Group, Stream
from tests.conftest import REDIS_URL
from tests.flagworker.builders import WEEK, add_client, add_coach


def scan_message(client_id: UUID | None = None, key: str = "scan-1") -> ScanRequested:
    return ScanRequested(
        idempotency_key=key,
        payload=ScanRequestedPayload(iso_week=WEEK, client_id=client_id, requested_by="test"),
    )


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll ``check``: the state lives in Redis, so there is no event to wait on."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def consuming(pool: asyncpg.Pool, bus: StreamBus) -> AsyncIterator[None]:
    settings = FlagSettings(_env_file=None)
    # Fast polling for the test; the claim time stays the production one.
    config = replace(consumer_config(settings), block_ms=50, name="test-worker")
    scanner = Scanner(pool, bus, settings, RulesOnly())
    consumer = Consumer(bus, config, scan_handler(scanner))
    await bus.ensure_group(config.stream, config.group)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


async def stream_length(bus: StreamBus, stream: str) -> int:
    return int(await bus.redis.xlen(bus.key(stream)))


def test_one_scan_at_a_time_and_a_claim_time_far_beyond_a_scan() -> None:
    config = consumer_config(FlagSettings(_env_file=None))
    assert (config.stream, config.group) == (Stream.SCANS.value, Group.FLAGWORKER.value)
    assert config.batch_size == 1
    assert config.min_idle_ms == 300_000


async def test_a_scan_request_is_consumed_flagged_and_acked(
    pool: asyncpg.Pool, bus: StreamBus
) -> None:
    await add_client(pool, "Ghost")
    await add_coach(pool)
    await bus.publish(scan_message())
    async with consuming(pool, bus):
        await eventually(lambda: _has(bus, Stream.DELIVERIES.value))
    assert await stream_length(bus, Stream.EVENTS.value) == 3  # the ghost's three flags
    assert await _pending_scans(bus, 0)


async def _has(bus: StreamBus, stream: str) -> bool:
    return await stream_length(bus, stream) > 0


async def test_bad_scan_messages_are_dead_lettered_and_the_next_scan_runs(
    pool: asyncpg.Pool, bus: StreamBus
) -> None:
    await add_client(pool, "Ghost")
    key = bus.key(Stream.SCANS.value)
    await bus.publish(scan_message(uuid4(), key="unknown-client"))
    invalid_week = json.loads(scan_message(key="bad-week").model_dump_json())
    invalid_week["payload"]["iso_week"] = "2027-W53"  # 2027 has 52 ISO weeks
    await bus.redis.xadd(key, {"type": "scan.requested", "data": json.dumps(invalid_week)})
    await bus.redis.xadd(key, {"type": "flag.raised", "data": "{}"})
    misrouted = DeliveryRequested(
        idempotency_key="misrouted",
        payload=DeliveryRequestedPayload(
            delivery_id=uuid4(),
            recipient_discord_id="123456789012345678",
            kind=DeliveryKind.NUDGE,
            text="hello",
        ),
    )
    await bus.redis.xadd(key, {"type": misrouted.type, "data": misrouted.model_dump_json()})
    await bus.publish(scan_message(key="good"))
    async with consuming(pool, bus):
        await eventually(lambda: _has(bus, Stream.EVENTS.value))
        await eventually(lambda: _dead_letters_at_least(bus, 4))
    letters = await bus.dead_letters()
    errors = [letter.error for letter in letters]
    assert "ScanRejected: no client with id" in errors[0]
    assert "not a week of ISO year 2027" in errors[1]
    assert errors[2].startswith("invalid message")
    assert "carries scan.requested, not delivery.requested" in errors[3]
    assert all(letter.deliveries == 1 for letter in letters)  # no retry loop


async def _dead_letters_at_least(bus: StreamBus, n: int) -> bool:
    return await bus.dead_letter_count() >= n


async def test_a_postgresql_outage_neither_kills_the_worker_nor_loses_the_scan(
    bus: StreamBus, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("MC_KEY_PREFIX", redis_prefix)
    await bus.ensure_group(Stream.SCANS.value, Group.FLAGWORKER.value)
    await bus.publish(scan_message())
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(stop))
    # Read and not acknowledged: held (or failed) while PostgreSQL is away.
    await eventually(lambda: _pending_scans(bus, 1))
    assert not worker.done()
    stop.set()
    await asyncio.wait_for(worker, timeout=5)
    # Still pending for a retry, never dead-lettered.
    assert await _pending_scans(bus, 1)
    assert await bus.dead_letter_count() == 0


async def _pending_scans(bus: StreamBus, n: int) -> bool:
    summary = await bus.redis.xpending(bus.key(Stream.SCANS.value), Group.FLAGWORKER.value)
    return int(summary["pending"]) == n
