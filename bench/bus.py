"""Bus throughput: our stream bus end to end vs a raw redis-py loop, in one run.

Both sides move the same N messages produce -> consume -> ack, producer and consumer
running concurrently, batches of the same size:

* raw: ``XADD`` (pipelined) / ``XREADGROUP`` / ``XACK`` on bare redis-py, no validation,
  no database;
* bus: :class:`StreamBus` + :class:`Consumer` + :class:`IdempotentHandler`, i.e. envelope
  validation, and per batch one PostgreSQL transaction that claims the idempotency keys
  and writes the side effect.

Prints jobs/s for each and the ratio (target: bus >= 50% of raw). The machine is shared
(2 vCPU, the servers on the same cores), so one pair of runs says little: each of
``--rounds`` runs raw then bus on fresh streams and keys, and the verdict is on the
median ratio, with the range beside it.

    uv run python bench/bus.py --messages 20000 [--rounds 5] [--batch 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Sequence

import asyncpg
import redis.asyncio as aioredis
from figures import Figure, record
from rich.console import Console
from rich.table import Table

from monstercoach_kit.bus import Consumer, ConsumerConfig, StreamBus
from monstercoach_kit.db import create_pool
from monstercoach_kit.idempotency import IdempotentHandler
from monstercoach_kit.migrate import upgrade
from monstercoach_kit.settings import KitSettings
from monstercoach_schemas.messages import Message, ScanRequested, ScanRequestedPayload

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
GROUP = "bench"


def make_messages(n: int) -> list[ScanRequested]:
    return [
        ScanRequested(
            idempotency_key=f"bench-{i}",
            payload=ScanRequestedPayload(iso_week="2026-W47", requested_by=f"bench{i % 97}"),
        )
        for i in range(n)
    ]


async def raw_loop(redis: aioredis.Redis, key: str, payloads: list[bytes], batch: int) -> float:
    await redis.xgroup_create(key, GROUP, id="0", mkstream=True)
    started = time.perf_counter()

    async def produce() -> None:
        for start in range(0, len(payloads), batch):
            pipe = redis.pipeline(transaction=False)
            for data in payloads[start : start + batch]:
                pipe.xadd(key, {"type": "scan.requested", "data": data})
            await pipe.execute()

    async def consume() -> None:
        done = 0
        while done < len(payloads):
            response = await redis.xreadgroup(GROUP, "raw", {key: ">"}, count=batch, block=100)
            for _stream, entries in response or []:
                await redis.xack(key, GROUP, *[entry_id for entry_id, _ in entries])
                done += len(entries)

    await asyncio.gather(produce(), consume())
    return time.perf_counter() - started


async def apply_effects(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
    """The side effect: one set-based insert per batch, as a real batch consumer writes."""
    await conn.execute(
        "INSERT INTO bench_effects (idempotency_key, requested_by) "
        "SELECT * FROM unnest($1::text[], $2::text[])",
        [m.idempotency_key for m in messages],
        [m.payload.requested_by for m in messages],  # type: ignore[union-attr]
    )


async def bus_loop(
    bus: StreamBus, pool: asyncpg.Pool, messages: list[ScanRequested], batch: int, scope: str
) -> float:
    await bus.ensure_group("scans", GROUP)
    handler = IdempotentHandler(pool, scope, apply_effects)
    consumer = Consumer(
        bus,
        ConsumerConfig(stream="scans", group=GROUP, name="bus", batch_size=batch, block_ms=100),
        handler,
    )
    started = time.perf_counter()

    async def produce() -> None:
        for start in range(0, len(messages), batch):
            await bus.publish_many(messages[start : start + batch])

    async def consume() -> None:
        done = 0
        while done < len(messages):
            done += await consumer.step()

    await asyncio.gather(produce(), consume())
    elapsed = time.perf_counter() - started
    written = await pool.fetchval("SELECT count(*) FROM bench_effects")
    assert written == len(messages), f"expected {len(messages)} effects, found {written}"
    return elapsed


async def main(n: int, batch: int, rounds: int) -> None:
    db_name = f"mc_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{db_name}"')
    url = ADMIN_URL.rpartition("/")[0] + f"/{db_name}"
    redis = aioredis.Redis.from_url(REDIS_URL)
    prefix = f"mcbench:{uuid.uuid4().hex[:8]}:"
    timings: list[tuple[float, float]] = []
    try:
        await asyncio.to_thread(upgrade, url)
        pool = await create_pool(KitSettings(DATABASE_URL=url), min_size=2, max_size=4)
        await pool.execute("CREATE TABLE bench_effects (idempotency_key text, requested_by text)")
        messages = make_messages(n)
        payloads = [m.model_dump_json().encode() for m in messages]
        for i in range(rounds):
            # Fresh streams, effects and idempotency scope: every round does all the work.
            await pool.execute("TRUNCATE bench_effects")
            raw_s = await raw_loop(redis, f"{prefix}{i}:raw", payloads, batch)
            bus = StreamBus(redis, prefix=f"{prefix}{i}:")
            timings.append((raw_s, await bus_loop(bus, pool, messages, batch, f"bench-{i}")))
        await pool.close()
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        await admin.close()
    report(n, batch, timings)


def report(n: int, batch: int, timings: list[tuple[float, float]]) -> None:
    table = Table(title=f"bus throughput, {n:,} messages, batch {batch}")
    table.add_column("round", justify="right")
    table.add_column("raw redis-py XADD/XREADGROUP/XACK jobs/s", justify="right")
    table.add_column("bus + idempotent PG write jobs/s", justify="right")
    table.add_column("ratio", justify="right")
    ratios = []
    for i, (raw_s, bus_s) in enumerate(timings, 1):
        ratios.append(raw_s / bus_s)
        table.add_row(str(i), f"{n / raw_s:,.0f}", f"{n / bus_s:,.0f}", f"{ratios[-1]:.2f}")
    raw_rate = statistics.median(n / raw_s for raw_s, _ in timings)
    bus_rate = statistics.median(n / bus_s for _, bus_s in timings)
    ratio = statistics.median(ratios)
    table.add_row("median", f"{raw_rate:,.0f}", f"{bus_rate:,.0f}", f"{ratio:.2f}")
    console = Console()
    console.print(table)
    verdict = "meets" if ratio >= 0.5 else "MISSES"
    console.print(
        f"median ratio bus/raw = {ratio:.2f} (range {min(ratios):.2f} to {max(ratios):.2f}; "
        f"{verdict} the 0.50 target)"
    )
    record(
        Figure(
            "bus",
            f"jobs/s, batch {batch} (median of {len(timings)})",
            bus_rate,
            "/s",
            limit="raw redis-py loop",
            limit_value=raw_rate,
            target="ratio ≥ 0.50",
            met=ratio >= 0.5,
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.batch, args.rounds))
