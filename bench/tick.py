"""Scheduler tick cost: it should follow the number of *due* pairs, not the roster.

On a throwaway database with N clients spread over every client zone (each planned for
all five client-level triggers, so 5 N ``next_fires`` rows), time one tick — ledger,
next-fire advance, compose and publish to Redis — with D pairs due:

* 100,000 clients, 1,000 due   (target < 100 ms)
* 100,000 clients, 10,000 due  (target < 1 s, enqueued)
* 200,000 clients, 1,000 due   (ratio to the 100k case should stay near 1)

    uv run python bench/tick.py [--clients 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import available_timezones

import asyncpg
import redis.asyncio as aioredis
from rich.console import Console
from rich.table import Table

from monstercoach_kit.bus import StreamBus
from monstercoach_kit.db import create_pool
from monstercoach_kit.migrate import upgrade
from monstercoach_kit.settings import KitSettings
from monstercoach_scheduler.settings import SchedulerSettings
from monstercoach_scheduler.tick import Ticker
from monstercoach_schemas.types import NOT_CLIENT_ZONES

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ZONES = sorted(available_timezones() - NOT_CLIENT_ZONES)
# The bulk-loaded clients are not "changes" for the tick to follow: no re-read window.
SETTINGS = SchedulerSettings(batch_size=10_000, resync_lag_seconds=0)


async def add_clients(conn: asyncpg.Connection, first: int, count: int) -> None:
    rng = random.Random(first)
    rows = [
        (uuid.uuid4(), str(300_000_000_000_000_000 + first + i), f"Client {first + i}",
         rng.choice(ZONES))
        for i in range(count)
    ]  # fmt: skip
    await conn.copy_records_to_table(
        "clients", records=rows, columns=["id", "discord_user_id", "display_name", "time_zone"]
    )


async def make_due(conn: asyncpg.Connection, due: int) -> None:
    """Push every plan into the future, then make ``due`` random pairs due one minute ago."""
    await conn.execute("UPDATE next_fires SET fire_at = $1::timestamptz + interval '1 day'", NOW)
    await conn.execute(
        """
        UPDATE next_fires SET fire_at = $1::timestamptz - interval '1 minute'
         WHERE (client_id, engine, trigger) IN (
               SELECT client_id, engine, trigger FROM next_fires
                -- the moved fire keeps its old local date, so a trigger with an answer
                -- deadline would be past it at once: leave those out
                WHERE trigger <> 'morning_prompt'
                ORDER BY md5(client_id::text || trigger) LIMIT $2)
        """,
        NOW,
        due,
    )
    await conn.execute("TRUNCATE trigger_fires")
    await conn.execute("VACUUM ANALYZE next_fires")


async def timed_tick(pool: asyncpg.Pool, bus: StreamBus, due: int) -> tuple[float, int]:
    async with pool.acquire() as conn:
        await make_due(conn, due)
    ticker = Ticker(pool, bus, SETTINGS, "UTC")
    started = time.perf_counter()
    report = await ticker.tick(NOW)
    elapsed = time.perf_counter() - started
    # A few more than ``due`` can fire: a moved row whose real occurrence is this very
    # minute in its zone comes due again after it advances (an artifact of moving rows).
    if report.fired < due or report.published != report.fired:
        raise RuntimeError(f"expected {due} fired and published: {report}")
    return elapsed, report.published


async def main(clients: int) -> None:
    admin = await asyncpg.connect(ADMIN_URL)
    db_name = f"mc_bench_tick_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{db_name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{db_name}"
    redis = aioredis.Redis.from_url(REDIS_URL)
    prefix = f"mcbench:{uuid.uuid4().hex[:8]}:"
    console = Console()
    results: list[tuple[str, float, int, str]] = []
    try:
        await asyncio.to_thread(upgrade, url)
        pool = await create_pool(KitSettings(DATABASE_URL=url), min_size=2, max_size=4)
        bus = StreamBus(redis, prefix=prefix)
        planner = Ticker(pool, bus, SETTINGS, "UTC")
        async with pool.acquire() as conn:
            await add_clients(conn, 0, clients)
        started = time.perf_counter()
        await planner.prepare(NOW - timedelta(days=1))
        plan_s = time.perf_counter() - started
        console.print(f"planned {clients:,} clients (x5 triggers) in {plan_s:.1f} s")

        for label, due, target in (
            (f"{clients // 1000}k clients, 1,000 due", 1_000, 0.100),
            (f"{clients // 1000}k clients, 10,000 due", 10_000, 1.0),
        ):
            seconds, published = await timed_tick(pool, bus, due)
            results.append((label, seconds, published, f"< {target * 1000:.0f} ms"))
            console.print(f"{label}: {seconds * 1000:.0f} ms")

        async with pool.acquire() as conn:
            await add_clients(conn, clients, clients)
        await planner.prepare(NOW - timedelta(days=1))
        # The second half was planned just now: not a change for the timed tick to follow.
        await pool.execute("UPDATE scheduler_state SET at = now() WHERE key = 'synced_through'")
        seconds, published = await timed_tick(pool, bus, 1_000)
        results.append((f"{2 * clients // 1000}k clients, 1,000 due", seconds, published, "≈ 1x"))
        await pool.close()
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        await admin.close()

    table = Table("case", "tick", "published", "target")
    for label, seconds, published, target in results:
        table.add_row(label, f"{seconds * 1000:.0f} ms", f"{published:,}", target)
    console.print(table)
    ratio = results[2][1] / results[0][1]
    console.print(f"1,000 due: {2 * clients:,} vs {clients:,} clients = {ratio:.2f}x (target ≈ 1)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().clients))
