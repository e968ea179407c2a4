"""Scheduler tick cost: it should follow the number of *due* pairs, not the roster.

On a throwaway database with N clients spread over every client zone (each planned for
all five client-level triggers, so 5 N ``next_fires`` rows), time one tick — ledger,
next-fire advance, compose and publish to Redis — with D pairs due:

* 100,000 clients, 1,000 due   (target < 100 ms)
* 100,000 clients, 10,000 due  (target < 1 s, enqueued)
* 200,000 clients, 1,000 due   (ratio to the 100k case should stay near 1)

As the service runs them, the fires were composed ahead (after the previous tick:
``Ticker.compose_ahead``, timed on its own); each 100,000-client case is also timed
*cold*, the tick composing every fire itself, as the first tick after a start does.
Each case is timed ``--repeat`` times (the pairs made due again before each) after one
untimed warm-up tick, as the service's ticks are warm: the median and the range are
reported. ``--sizes`` adds a 1,000-due tick at smaller rosters for ``make bench``'s
scaling table; ``--breakdown`` also prints where a tick's time goes.

    uv run python bench/tick.py [--clients 100000] [--repeat 5] [--breakdown]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import available_timezones

import asyncpg
import redis.asyncio as aioredis
from figures import Figure, record
from rich.console import Console
from rich.table import Table

from monstercoach_kit.bus import StreamBus
from monstercoach_kit.db import create_pool
from monstercoach_kit.migrate import upgrade
from monstercoach_kit.settings import KitSettings
from monstercoach_scheduler import store, tick
from monstercoach_scheduler.settings import SchedulerSettings
from monstercoach_scheduler.tick import Ticker
from monstercoach_schemas.types import NOT_CLIENT_ZONES

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
NOW = datetime(2026, 11, 26, 12, 7, tzinfo=UTC)
"""A minute that is no trigger's time in any zone (every offset is a multiple of 15
minutes, every trigger time on :00 or :30), so a pair moved to the minute before comes
out of its advance in the future: the tick fires exactly the pairs made due."""
AHEAD_AT = NOW - timedelta(minutes=2)
"""When the previous tick composed ahead: its next minute holds the pairs made due."""
ZONES = sorted(available_timezones() - NOT_CLIENT_ZONES)
# The bulk-loaded clients are not "changes" for the tick to follow: no re-read window.
SETTINGS = SchedulerSettings(batch_size=10_000, resync_lag_seconds=0)
TARGET_MS = {1_000: 100.0, 10_000: 1_000.0}
"""Issue 3's targets at 100,000 clients, by the number due."""
COMPOSE = "compose (worker thread, overlapping)"


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
    """Push every plan that is due into the future, then make ``due`` random pairs due one
    minute ago. Only rows that change are written: pushing every plan (500,000 rows at
    100,000 clients) before each tick left that write's checkpoint and vacuum running
    through the timed tick, which a service's minute never has."""
    await conn.execute(
        "UPDATE next_fires SET fire_at = $1::timestamptz + interval '1 day' WHERE fire_at <= $1",
        NOW,
    )
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


class Breakdown:
    """Wall time per part of a tick, by wrapping what the tick awaits: each SQL statement
    (named after its constant in ``store``) and each publish to Redis. What is left of the
    tick is Python: planning, encoding the statements' arrays, reports. Composing runs in
    a worker thread while the ledger is written and the fires taken, so it is timed on
    its own and overlaps RECORD_FIRES and CLAIM_FIRED rather than adding to them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._names = {value: name for name, value in vars(store).items() if isinstance(value, str)}

    def _timed(self, name: Callable[..., str], call: Callable[..., Awaitable[Any]]) -> Any:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await call(*args, **kwargs)
            finally:
                self.seconds[name(*args)] += time.perf_counter() - started

        return timed

    def _statement(self, _conn: object, query: str, *_args: object) -> str:
        return self._names.get(query, query.split()[0].rstrip(";"))

    def _compose_timed(self, compose: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any) -> Any:
            started = time.perf_counter()
            try:
                return compose(*args)
            finally:
                self.seconds[COMPOSE] += time.perf_counter() - started

        return timed

    @contextmanager
    def wrapping(self) -> Iterator[None]:
        originals: list[tuple[Any, str, Any]] = [
            (asyncpg.Connection, method, getattr(asyncpg.Connection, method))
            for method in ("fetch", "execute", "fetchval", "fetchrow")
        ] + [(StreamBus, "publish_many", StreamBus.publish_many)]
        for owner, method, call in originals:
            label = self._statement if owner is asyncpg.Connection else lambda *_: "publish"
            setattr(owner, method, self._timed(label, call))
        originals.append((tick, "_compose_all", tick._compose_all))
        tick._compose_all = self._compose_timed(tick._compose_all)
        try:
            yield
        finally:
            for owner, method, call in originals:
                setattr(owner, method, call)


@dataclass
class Case:
    label: str
    clients: int
    due: int
    ahead: bool
    ms: list[float]
    published: int
    ahead_ms: list[float]
    parts: dict[str, float] | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def spread(self) -> str:
        return f"{min(self.ms):,.0f}-{max(self.ms):,.0f}"


async def timed_ticks(
    pool: asyncpg.Pool,
    bus: StreamBus,
    clients: int,
    due: int,
    repeat: int,
    breakdown: bool,
    ahead: bool = True,
) -> Case:
    label = f"{clients:,} clients, {due:,} due" + ("" if ahead else ", cold")
    case = Case(label, clients, due, ahead, [], 0, [])
    parts = Breakdown()
    for _ in range(repeat):
        async with pool.acquire() as conn:
            await make_due(conn, due)
        ticker = Ticker(pool, bus, SETTINGS, "UTC")
        if ahead:
            started = time.perf_counter()
            composed = await ticker.compose_ahead(AHEAD_AT)
            case.ahead_ms.append((time.perf_counter() - started) * 1000)
            if composed != due:
                raise RuntimeError(f"expected {due} fires composed ahead, not {composed}")
        started = time.perf_counter()
        if breakdown:
            with parts.wrapping():
                report = await ticker.tick(NOW)
        else:
            report = await ticker.tick(NOW)
        case.ms.append((time.perf_counter() - started) * 1000)
        if report.fired != due or report.published != due:
            raise RuntimeError(f"expected {due} fired and published: {report}")
        case.published = report.published
    if breakdown:
        total = sum(case.ms) / 1000
        measured = {name: s / repeat * 1000 for name, s in parts.seconds.items()}
        awaited = sum(s for name, s in parts.seconds.items() if name != COMPOSE)
        measured["Python (the rest)"] = (total - awaited) / repeat * 1000
        case.parts = measured
    return case


async def main(clients: int, sizes: list[int], repeat: int, breakdown: bool) -> None:
    admin = await asyncpg.connect(ADMIN_URL)
    db_name = f"mc_bench_tick_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{db_name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{db_name}"
    redis = aioredis.Redis.from_url(REDIS_URL)
    prefix = f"mcbench:{uuid.uuid4().hex[:8]}:"
    console = Console()
    cases: list[Case] = []
    try:
        await asyncio.to_thread(upgrade, url)
        pool = await create_pool(KitSettings(DATABASE_URL=url), min_size=2, max_size=4)
        bus = StreamBus(redis, prefix=prefix)
        planner = Ticker(pool, bus, SETTINGS, "UTC")
        loaded = 0
        for size in sorted({*sizes, clients, 2 * clients}):
            async with pool.acquire() as conn:
                await add_clients(conn, loaded, size - loaded)
            started = time.perf_counter()
            await planner.prepare(NOW - timedelta(days=1))
            console.print(
                f"planned {size - loaded:,} more clients (x5 triggers) in "
                f"{time.perf_counter() - started:.1f} s"
            )
            loaded = size
            # What was planned just now is not a change for the timed ticks to follow.
            await pool.execute("UPDATE scheduler_state SET at = now() WHERE key = 'synced_through'")
            if not cases:  # the first tick of a process loads scripts, prepares statements
                await timed_ticks(pool, bus, size, 100, 1, breakdown=False)
            for due in (1_000, 10_000) if size == clients else (1_000,):
                for ahead in (True, False) if size == clients else (True,):
                    case = await timed_ticks(pool, bus, size, due, repeat, breakdown, ahead)
                    cases.append(case)
                    console.print(f"{case.label}: median {case.median:,.0f} ms ({case.spread})")
        await pool.close()
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        await admin.close()

    print_results(console, cases, clients, repeat)
    record(*figures(cases, clients))


def ratio(cases: list[Case], clients: int) -> float:
    at = {(c.clients, c.due): c for c in cases if c.ahead}
    return at[2 * clients, 1_000].median / at[clients, 1_000].median


def print_results(console: Console, cases: list[Case], clients: int, repeat: int) -> None:
    table = Table(
        "case", "tick, median", "range", "published", "target", "composed ahead, median",
        title=f"{repeat} ticks each",
    )  # fmt: skip
    for case in cases:
        target = TARGET_MS.get(case.due) if case.clients == clients and case.ahead else None
        table.add_row(
            case.label, f"{case.median:,.0f} ms", f"{case.spread} ms", f"{case.published:,}",
            f"< {target:,.0f} ms" if target else "",
            f"{statistics.median(case.ahead_ms):,.0f} ms, the minute before" if case.ahead else "",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"1,000 due: {2 * clients:,} vs {clients:,} clients = {ratio(cases, clients):.2f}x "
        "(target ≈ 1)"
    )
    for case in cases:
        if case.parts:
            parts = Table("part", "ms per tick", title=f"where the time goes: {case.label}")
            for name, ms in sorted(case.parts.items(), key=lambda item: -item[1]):
                parts.add_row(name, f"{ms:,.1f}")
            console.print(parts)


def figures(cases: list[Case], clients: int) -> list[Figure]:
    found = []
    for case in cases:
        target = TARGET_MS.get(case.due)
        if case.clients == clients and target and not case.ahead:
            found.append(
                Figure("tick", f"{case.label}, median of {len(case.ms)}", case.median, "ms")
            )
        elif case.clients == clients and target:
            found.append(
                Figure(
                    "tick",
                    f"{case.label}, median of {len(case.ms)}",
                    case.median,
                    "ms",
                    target=f"< {target:,.0f} ms",
                    met=case.median < target,
                )
            )
        if case.due == 1_000 and case.ahead:
            found.append(
                Figure("tick", case.label, case.median, "ms", clients=case.clients,
                       column="tick, 1,000 due (ms)")
            )  # fmt: skip
    value = ratio(cases, clients)
    found.append(
        Figure(
            "tick",
            f"1,000 due, {2 * clients:,} vs {clients:,} clients",
            value,
            "x",
            target="≈ 1 (0.8-1.25)",
            met=0.8 <= value <= 1.25,
        )
    )
    return found


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument(
        "--sizes", type=int, nargs="*", default=[], help="smaller rosters: 1,000 due at each"
    )
    parser.add_argument("--repeat", type=int, default=5, help="ticks timed per case")
    parser.add_argument("--breakdown", action="store_true", help="time each statement too")
    args = parser.parse_args()
    asyncio.run(main(args.clients, args.sizes, args.repeat, args.breakdown))
