"""The scheduler process: consume answers always; tick only while holding the lock.

APScheduler 3.x's ``AsyncIOScheduler`` drives the work on the event loop: a tick at
second 0 of every minute (after which the next minute's fires are composed ahead), one
cron job per coach-level trigger on the coach's clock, and an hourly purge of
idempotency keys past their retention. They run only on the active scheduler (the
advisory-lock holder); a standby keeps consuming answers (idempotent, so sharing the
work is safe) and polls the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import asyncpg
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from prometheus_client import Counter, Gauge, Histogram

from monstercoach_kit.bus import Consumer, ConsumerConfig
from monstercoach_kit.db import create_pool
from monstercoach_kit.idempotency import DatabaseGate, purge_processed
from monstercoach_kit.log import get_logger
from monstercoach_kit.runtime import Runtime, open_runtime
from monstercoach_kit.settings import KitSettings
from monstercoach_schemas.lst.base import CoachLocalTime
from monstercoach_schemas.lst.plan import coach_triggers
from monstercoach_schemas.streams import Group, Stream

from . import store
from .answers import ledger_handler
from .leader import Leadership
from .settings import SchedulerSettings
from .tick import Ticker, TickReport

SERVICE = "scheduler"
log = get_logger(__name__)

IS_LEADER = Gauge("mc_scheduler_leader", "1 while this scheduler holds the lock")
TICK_SECONDS = Histogram("mc_scheduler_tick_seconds", "Duration of one tick")
TICK_FAILURES = Counter("mc_scheduler_tick_failures_total", "Ticks that failed and will retry")
FIRES = Counter("mc_scheduler_fires_total", "Fires recorded, by outcome", ["status"])
COMPOSED_AHEAD = Gauge("mc_scheduler_composed_ahead", "Fires composed ahead of the next tick")

_DB_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def coach_zone(pool: asyncpg.Pool, settings: SchedulerSettings) -> str:
    """The coach's clock: configured, else the first coach's zone, else UTC."""
    if settings.coach_time_zone:
        return settings.coach_time_zone
    return str(await pool.fetchval(store.FIRST_COACH_TIME_ZONE) or "UTC")


def _record(report: TickReport) -> None:
    FIRES.labels("fired").inc(report.fired)
    FIRES.labels("missed").inc(report.missed_scheduler_down + report.missed_deadline)


async def _guarded(name: str, run: Awaitable[TickReport]) -> None:
    # PostgreSQL down: log and let the next minute retry; never kill the scheduler.
    started = time.perf_counter()
    try:
        _record(await run)
    except _DB_ERRORS as exc:
        TICK_FAILURES.inc()
        log.warning(f"{name} failed; retrying next minute", status="waiting", error=str(exc))
    finally:
        TICK_SECONDS.observe(time.perf_counter() - started)


async def purge_old_keys(pool: asyncpg.Pool, retention: timedelta) -> None:
    """Forget idempotency keys older than ``retention``; a failure waits for the next hour."""
    try:
        deleted = await purge_processed(pool, datetime.now(UTC) - retention)
    except _DB_ERRORS as exc:
        log.warning("could not purge old idempotency keys", status="waiting", error=str(exc))
        return
    if deleted:
        log.info("old idempotency keys purged", status="purged", deleted=deleted)


async def compose_ahead(ticker: Ticker, now: datetime) -> None:
    """Compose the next tick's fires now, while the scheduler is idle; if PostgreSQL
    fails, that tick composes them itself."""
    try:
        composed = await ticker.compose_ahead(now)
    except _DB_ERRORS as exc:
        log.warning("could not compose ahead", status="waiting", error=str(exc))
        return
    COMPOSED_AHEAD.set(composed)


def build_scheduler(ticker: Ticker) -> AsyncIOScheduler:
    # APScheduler logs every run at INFO ("executed successfully" each minute); the tick
    # logs what it did itself, so only APScheduler's warnings (misfires) are worth a line.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone=UTC)

    async def minute_tick() -> None:
        now = datetime.now(UTC)
        await _guarded("tick", ticker.tick(now))
        await compose_ahead(ticker, now)

    async def coach_job() -> None:
        await _guarded("coach tick", ticker.coach_tick(datetime.now(UTC)))

    # One instance at a time, and a late run is coalesced: the tick catches up from the
    # database, not from how many runs APScheduler skipped.
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 55}
    scheduler.add_job(
        minute_tick, CronTrigger(second=0), id="tick", next_run_time=datetime.now(UTC), **common
    )
    for trigger in coach_triggers():
        assert isinstance(trigger.when, CoachLocalTime)
        cron = CronTrigger(
            day_of_week=",".join(trigger.when.weekdays),
            hour=trigger.when.at.hour,
            minute=trigger.when.at.minute,
            timezone=ticker.coach_zone,
        )
        scheduler.add_job(coach_job, cron, id=f"{trigger.engine}.{trigger.trigger}", **common)

    async def purge_job() -> None:
        await purge_old_keys(ticker.pool, ticker.settings.processed_retention)

    # Hourly, away from the round hours: after the first run each one deletes about an
    # hour's worth of keys, a short statement, never a growing backlog.
    scheduler.add_job(purge_job, CronTrigger(minute=23, second=30), id="purge-keys", **common)
    return scheduler


async def lead(stop: asyncio.Event, leadership: Leadership, ticker: Ticker, poll: float) -> None:
    """Tick until stopped or the lock's session dies."""
    now = datetime.now(UTC)
    await ticker.prepare(now)
    await _guarded("coach catch-up", ticker.coach_tick(now))
    scheduler = build_scheduler(ticker)
    scheduler.start()
    IS_LEADER.set(1)
    try:
        while not stop.is_set() and await leadership.held():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll)
    finally:
        IS_LEADER.set(0)
        scheduler.shutdown(wait=False)


async def run(stop: asyncio.Event) -> None:
    kit, settings = KitSettings(), SchedulerSettings()
    async with open_runtime(SERVICE, kit) as runtime:
        # min_size=0: start-up never waits for PostgreSQL; the loops below retry.
        pool = await create_pool(kit, min_size=0)
        consumer = Consumer(
            runtime.bus,
            ConsumerConfig(stream=Stream.EVENTS, group=Group.SCHEDULER),
            DatabaseGate(ledger_handler(pool), pool, stop),
        )
        consuming = asyncio.create_task(consumer.run(stop), name="scheduler-answers")
        try:
            await _lead_while_running(stop, runtime, pool, kit, settings)
        finally:
            await consuming
            await pool.close()


async def _lead_while_running(
    stop: asyncio.Event,
    runtime: Runtime,
    pool: asyncpg.Pool,
    kit: KitSettings,
    settings: SchedulerSettings,
) -> None:
    leadership = Leadership(kit, settings.lock_id)
    try:
        while await leadership.acquire(stop, settings.standby_poll_seconds):
            log.info("holding the scheduler lock", status="leader")
            try:
                ticker = Ticker(pool, runtime.bus, settings, await coach_zone(pool, settings))
                await lead(stop, leadership, ticker, settings.standby_poll_seconds)
            except _DB_ERRORS as exc:
                log.warning("lost PostgreSQL while leading", status="waiting", error=str(exc))
            await leadership.release()
            if not stop.is_set():
                log.warning("gave up the scheduler lock; standing by", status="standby")
    finally:
        await leadership.release()
