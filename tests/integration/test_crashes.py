"""kill -9 each service, one at a time, mid-load, and restart it: nothing lost, nothing twice.

One simulated day for the roster; while it runs, the bot is killed with deliveries in
flight, the api with a batch of events read but not acknowledged, and a scheduler in
the middle of a tick (``monstercoach tick --at`` with small batches, killed once part
of the tick's ledger rows are written) together with the scheduler service's ledger
consumer. Each is restarted at once. The killed consumers' pending entries come back
through ``XAUTOCLAIM`` once idle for their ``min_idle_ms`` (60 s, the bus's floor),
which sets this test's length: the kills overlap so it waits that minute once. The flag
worker is killed in the middle of a weekly scan of its own test.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from monstercoach_schemas.messages import (
    ScanRequested,
    ScanRequestedPayload,
)
from monstercoach_schemas.streams import Group, Stream

from .conftest import Stack
from .endstate import eventually, raised_flags
from .load import Day, future_day, seed_clients
from .processes import LogRecord, Service

CLIENTS = 1_000
"""5,000 fires and DMs in the day (5 triggers each): ~105 s of Discord's 50 requests/s."""


SCAN_CLIENTS = 1_000
"""A scan of this many clients runs for a few hundred ms: long enough to be killed in."""


async def pending(stack: Stack, stream: Stream, group: Group) -> int:
    for info in await stack.redis.xinfo_groups(stack.bus.key(stream)):
        if info["name"].decode() == group.value:
            return int(info["pending"])
    return 0


@pytest.mark.timeout(480)
async def test_kill_9_each_service_mid_load_then_restart(stack: Stack) -> None:
    started = time.monotonic()
    clients = await seed_clients(stack.pool, CLIENTS)
    day = Day(stack.pool, stack.bus, clients, future_day())
    await day.prepare()
    api, bot, scheduler = await stack.start("api", "bot", "scheduler")
    ticks = day.ticks(24, 3)

    # --- the bot, with deliveries in flight ------------------------------------------
    for at in ticks[:3]:
        await day.tick(at)
    await stack.until_dms(60)
    await bot.kill9()
    abandoned_deliveries = await pending(stack, Stream.DELIVERIES, Group.BOT)
    assert abandoned_deliveries, "the bot was killed with nothing in flight"
    # Restarts run in the background: the day goes on meanwhile, as it would.
    restarts = [asyncio.create_task(bot.start())]

    # --- the api, with events read but not acknowledged --------------------------------
    await day.tick(ticks[3])
    await eventually(lambda: _holding(stack, Stream.EVENTS, Group.API), within=30, every=0.01)
    await api.kill9()
    abandoned_events = await pending(stack, Stream.EVENTS, Group.API)
    assert abandoned_events, "the api was killed with nothing read and unacknowledged"
    restarts.append(asyncio.create_task(api.start()))
    await day.tick(ticks[4])

    # --- a scheduler mid-tick, and the scheduler service -------------------------------
    at = ticks[5]
    due = await stack.pool.fetchval("SELECT count(*) FROM next_fires WHERE fire_at <= $1", at)
    # Small batches: the tick is many short transactions, so a kill lands between them.
    grace = str(day.settings.grace_minutes)
    ticking = await stack.spawn_cli(
        "tick", "tick", "--at", at.isoformat(), SCHEDULER_BATCH_SIZE="5",
        SCHEDULER_GRACE_MINUTES=grace,
    )  # fmt: skip
    await eventually(lambda: _ledger_started(stack, at), within=40, every=0.005)
    await ticking.kill9()
    recorded, unpublished = await _tick_progress(stack, at)
    assert recorded < due or unpublished, f"the tick finished ({recorded}/{due}) before the kill"
    # ...and the scheduler service, with answers read but not acknowledged.
    await day.answer(at)
    await eventually(lambda: _holding(stack, Stream.EVENTS, Group.SCHEDULER), within=30, every=0.01)
    await scheduler.kill9()
    abandoned_answers = await pending(stack, Stream.EVENTS, Group.SCHEDULER)
    assert abandoned_answers, "the scheduler was killed with nothing read and unacknowledged"
    restarts.append(asyncio.create_task(scheduler.start()))
    # The restarted scheduler's first tick, a minute later on the simulated clock.
    code, output = await stack.cli(
        "tick", "--at", (at + timedelta(minutes=1)).isoformat(), SCHEDULER_GRACE_MINUTES=grace
    )
    assert code == 0, output
    await day.answer(at + timedelta(minutes=1))
    day.last_tick = at + timedelta(minutes=1)

    for at in ticks[6:]:
        await day.tick(at)
    await asyncio.gather(*restarts)

    end = stack.end_state(day)
    settled = await end.wait(within=300)
    summary = await end.check(allow_missed=False)
    print(
        f"\nFIGURES kill -9 each service: {summary}; abandoned: {abandoned_deliveries} deliveries, "
        f"{abandoned_events} events (api), {abandoned_answers} (scheduler); the tick killed "
        f"at {recorded}/{due} fires, {unpublished} unpublished; settled {settled:.1f}s after "
        f"the day; {time.monotonic() - started:.1f}s"
    )


async def _holding(stack: Stack, stream: Stream, group: Group) -> list[str]:
    waiting = await pending(stack, stream, group)
    return [] if waiting else [f"the {group} group has nothing of {stream} in hand"]


async def _ledger_started(stack: Stack, at: object) -> list[str]:
    n = await stack.pool.fetchval("SELECT count(*) FROM trigger_fires WHERE fired_at = $1", at)
    return [] if n else ["the tick has not written its ledger yet"]


async def _tick_progress(stack: Stack, at: object) -> tuple[int, int]:
    row = await stack.pool.fetchrow(
        "SELECT count(*) AS recorded, count(*) FILTER (WHERE enqueued_at IS NULL "
        "AND status = 'fired') AS unpublished FROM trigger_fires WHERE fired_at = $1",
        at,
    )
    return int(row["recorded"]), int(row["unpublished"])


@pytest.mark.timeout(180)
async def test_kill_9_the_flag_worker_mid_scan_then_restart(stack: Stack) -> None:
    started = time.monotonic()
    await seed_clients(stack.pool, SCAN_CLIENTS)  # no history: every client has flags due
    # The shortest reclaim the worker allows, so the restarted one takes the scan over
    # within the test (a scan presumed abandoned is run again from the start).
    claim = {"FLAG_SCAN_CLAIM_IDLE_SECONDS": "30"}
    _, _, flagworker = await stack.start("api", "bot", "flagworker", **claim)
    year, week, _ = (datetime.now(UTC) - timedelta(days=7)).isocalendar()
    request = ScanRequested(
        idempotency_key="scan:killed",
        payload=ScanRequestedPayload(iso_week=f"{year}-W{week:02d}", requested_by="coach"),
    )
    await stack.bus.publish(request)
    await eventually(lambda: _holding(stack, Stream.SCANS, Group.FLAGWORKER), 30, every=0.002)
    await flagworker.kill9()
    assert not _finished(flagworker), "the scan finished before the kill"
    assert await pending(stack, Stream.SCANS, Group.FLAGWORKER) == 1
    await flagworker.start()

    await eventually(lambda: _scanned(flagworker), within=90)
    end = stack.end_state(None)
    await end.wait(within=60)
    # The scan ran again from the start: every flag once, the coach's digest DMed once.
    raised = await raised_flags(stack.bus)
    assert raised, "the scan raised no flag"
    assert await stack.pool.fetchval("SELECT count(*) FROM flags") == len(raised)
    digests = await stack.pool.fetch("SELECT status FROM deliveries WHERE kind = 'coach_digest'")
    assert [r["status"] for r in digests] == ["sent"], digests
    summary = await end.check(allow_missed=False)
    assert flagworker.runs == 2
    print(
        f"\nFIGURES kill -9 the flag worker mid-scan ({SCAN_CLIENTS:,} clients): {len(raised)} "
        f"flags, each once; {summary}; {time.monotonic() - started:.1f}s"
    )


async def _scanned(flagworker: Service) -> list[str]:
    return [] if _finished(flagworker) else ["no scan finished"]


def _finished(flagworker: Service) -> list[LogRecord]:
    return flagworker.records(lambda r: r.get("event") == "scan finished")
