"""After a crash, a message can be handled before the one it depends on: it must wait.

A consumer killed with -9 leaves its batch pending; the entries come back only once idle
for ``min_idle_ms``, after the restarted consumer has handled everything published
since (docs/decisions/0003: "handlers must not assume a strict order on retries"). A
client's check-in can then arrive before their onboarding, a job-card tap before the
card, and (the api being down) a check-in at the scheduler before the api wrote the
client. These tests set up exactly that state (a consumer that read the first message
and died holding it) and run the real consumers in-process with a short
``min_idle_ms`` so the dead consumer's entry comes back within a second.

Found by the kill -9 fault test (``test_crashes``), where it shows up only when the kill
lands on such a batch; reproduced here deterministically.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg

from monstercoach_api.ingest.consumers import running_consumers
from monstercoach_kit.bus import Consumer, ConsumerConfig, StreamBus
from monstercoach_kit.idempotency import DatabaseGate
from monstercoach_scheduler.answers import ledger_handler
from monstercoach_schemas.domain import JobCardItemStatus
from monstercoach_schemas.streams import Group, Stream
from tests.api.helpers import T0, card, checkin, mark, onboarded

from .endstate import eventually

DAY = T0.date()
FAST = {"block_ms": 50, "min_idle_ms": 300, "maintenance_every_s": 0.05, "max_deliveries": 5}


def discord_id() -> str:
    return f"6000000000000{uuid.uuid4().int % 10**5:05d}"


async def died_holding_the_next_entry(bus: StreamBus, stream: Stream, group: Group) -> None:
    """A consumer of ``group`` reads the next entry and is killed before acknowledging."""
    await bus.ensure_group(stream, group)
    read = await bus.redis.xreadgroup(group, "killed-9", {bus.key(stream): ">"}, count=1)
    assert read, "nothing to hold"
    assert read[0][1], "nothing to hold"


async def dead_letters(bus: StreamBus) -> list[str]:
    return [f"{d.group}: {d.error}" for d in await bus.dead_letters()]


@contextlib.asynccontextmanager
async def scheduler_ledger(bus: StreamBus, pool: asyncpg.Pool) -> AsyncIterator[None]:
    """The scheduler's events consumer (closing its ledger), as the service runs it."""
    stop = asyncio.Event()
    config = ConsumerConfig(stream=Stream.EVENTS, group=Group.SCHEDULER, **FAST)
    consumer = Consumer(bus, config, DatabaseGate(ledger_handler(pool), pool, stop))
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


async def test_a_check_in_handled_before_its_clients_onboarding_is_recorded_once_it_is(
    bus: StreamBus, pool: asyncpg.Pool
) -> None:
    onboarding = onboarded(discord_id())
    await bus.publish(onboarding)
    await died_holding_the_next_entry(bus, Stream.EVENTS, Group.API)
    answer = checkin(onboarding.payload.client_id, DAY)
    await bus.publish(answer)

    async with running_consumers(bus, pool, **FAST):
        await eventually(lambda: _row(pool, "clients", onboarding.payload.client_id), 10)
        await asyncio.sleep(2 * FAST["min_idle_ms"] / 1000)
        assert await dead_letters(bus) == []
        await eventually(lambda: _row(pool, "checkins", answer.id), 10)


async def test_a_job_card_tap_handled_before_its_card_is_recorded_once_the_card_is(
    bus: StreamBus, pool: asyncpg.Pool
) -> None:
    onboarding = onboarded(discord_id())
    await bus.publish(onboarding)
    async with running_consumers(bus, pool, **FAST):
        await eventually(lambda: _row(pool, "clients", onboarding.payload.client_id), 10)
    issued = card(onboarding.payload.client_id, DAY)
    await bus.publish(issued)
    await died_holding_the_next_entry(bus, Stream.EVENTS, Group.API)
    tap = mark(issued, 0, JobCardItemStatus.DONE)
    await bus.publish(tap)

    async with running_consumers(bus, pool, **FAST):
        await eventually(lambda: _row(pool, "job_cards", issued.payload.card_id), 10)
        await asyncio.sleep(2 * FAST["min_idle_ms"] / 1000)
        assert await dead_letters(bus) == []
        item = issued.payload.items[0].id
        await eventually(lambda: _item_done(pool, item), 10)


async def test_the_scheduler_closes_a_fire_answered_while_the_api_was_down(
    bus: StreamBus, pool: asyncpg.Pool
) -> None:
    # The api is down: a new client's onboarding and first check-in wait on the stream
    # for it, while the scheduler (which keeps working) reads the check-in at once.
    onboarding = onboarded(discord_id())
    answer = checkin(onboarding.payload.client_id, DAY)
    await bus.publish_many([onboarding, answer])
    async with scheduler_ledger(bus, pool):
        await asyncio.sleep(1)
        async with running_consumers(bus, pool, **FAST):  # the api is back
            await eventually(lambda: _row(pool, "checkins", answer.id), 10)
            await asyncio.sleep(2 * FAST["min_idle_ms"] / 1000)
            assert await dead_letters(bus) == []
            await eventually(lambda: _answered(pool, onboarding.payload.client_id), 10)


async def _row(pool: asyncpg.Pool, table: str, row_id: uuid.UUID) -> list[str]:
    found = await pool.fetchval(f"SELECT count(*) FROM {table} WHERE id = $1", row_id)
    return [] if found else [f"no {table} row {row_id}"]


async def _item_done(pool: asyncpg.Pool, item_id: uuid.UUID) -> list[str]:
    status = await pool.fetchval("SELECT status FROM job_card_items WHERE id = $1", item_id)
    return [] if status == "done" else [f"item is {status}"]


async def _answered(pool: asyncpg.Pool, client_id: uuid.UUID) -> list[str]:
    status = await pool.fetchval(
        "SELECT status FROM trigger_fires WHERE engine = 'checkin' AND trigger = "
        "'morning_prompt' AND client_id = $1 AND local_date = $2",
        client_id,
        DAY,
    )
    return [] if status == "answered" else [f"the fire is {status}"]
