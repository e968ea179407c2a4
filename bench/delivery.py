"""Delivery throughput: the bot's deliveries consumer against the Discord simulator.

N deliveries to N distinct users go through the real path: the ``deliveries`` stream,
the bot's ``Deliverer`` (discord.py's HTTP client, the shared Redis limiter, the DM
channel cache, outcomes on ``events``) and ``monstercoach-discord-sim`` as a separate
process on loopback, enforcing Discord's 50 requests/s global limit. Each delivery to a
new user costs two REST calls (open the DM, post the message); ``--warm`` adds a second
pass to the same users, whose DM channels are then cached (one call each).

Reported from the simulator's side: REST requests/s sustained as a fraction of 50/s
(target >= 0.95), global 429s provoked (target 0), duplicate DMs (target 0).

    uv run python bench/delivery.py --deliveries 3000
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from figures import Figure, record
from rich.console import Console
from rich.table import Table

from monstercoach_bot.delivery import Deliverer, DeliveryRecords, consumer_config
from monstercoach_bot.discord_rest import open_discord
from monstercoach_bot.settings import DISCORD_GLOBAL_LIMIT_PER_SECOND, BotSettings
from monstercoach_kit.bus import Consumer, StreamBus
from monstercoach_kit.log import configure_logging
from monstercoach_schemas.domain import DeliveryKind
from monstercoach_schemas.messages import Button, DeliveryRequested, DeliveryRequestedPayload
from monstercoach_schemas.streams import Stream

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TOKEN = "bench-token"  # noqa: S105 - the simulator accepts any token
FIRST_USER = 400_000_000_000_000_000


@dataclasses.dataclass
class Pass:
    name: str
    number: int
    """1 for the first pass: every user should then hold exactly ``number`` DMs."""
    deliveries: int
    seconds: float
    stats: dict[str, Any]
    """The simulator's counters for this pass alone."""

    @property
    def requests(self) -> int:
        return sum(self.stats["requests"].values())

    @property
    def request_rate(self) -> float:
        """REST calls/s sustained at the simulator, from the pass's first call to its last."""
        return (self.requests - 1) / (self.stats["last_at"] - self.stats["first_at"])

    @property
    def duplicates(self) -> int:
        counts = self.stats["message_counts"].values()
        return sum(max(count - self.number, 0) for count in counts)

    @property
    def missing(self) -> int:
        counts = self.stats["message_counts"]
        reached = sum(1 for count in counts.values() if count >= self.number)
        return self.deliveries - reached


def requests_for(n: int) -> list[DeliveryRequested]:
    done = Button(custom_id="jobcard:done:bench", label="Done", style="success")
    skip = Button(custom_id="jobcard:skip:bench", label="Skip")
    return [
        DeliveryRequested(
            idempotency_key=f"bench-{i}-{uuid.uuid4()}",
            payload=DeliveryRequestedPayload(
                delivery_id=uuid.uuid4(),
                recipient_discord_id=str(FIRST_USER + i),
                kind=DeliveryKind.JOBCARD,
                text=f"Day card #{i}: 10k steps, 2 L water, protein at every meal.",
                buttons=[done, skip],
            ),
        )
        for i in range(n)
    ]


@asynccontextmanager
async def simulator_process() -> AsyncIterator[str]:
    """``monstercoach-discord-sim`` on a free loopback port; yields its base URL."""
    command = Path(sys.executable).parent / "monstercoach-discord-sim"
    proc = await asyncio.create_subprocess_exec(
        command, "--port", "0", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(await proc.stdout.readline())
        yield ready["api_base"].removesuffix("/api/v10")
    finally:
        proc.terminate()
        await proc.wait()


async def sim_stats(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(f"{url}/_sim/stats") as response:
        stats: dict[str, Any] = await response.json()
        return stats


async def reset_sim_stats(http: aiohttp.ClientSession, url: str) -> None:
    async with http.delete(f"{url}/_sim/stats") as response:
        response.raise_for_status()


async def wait_for_outcomes(bus: StreamBus, total: int) -> None:
    while int(await bus.redis.xlen(bus.key(Stream.EVENTS))) < total:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def run_pass(
    name: str,
    n: int,
    bus: StreamBus,
    deliverer: Deliverer,
    settings: BotSettings,
    http: aiohttp.ClientSession,
    sim_url: str,
    number: int,
) -> Pass:
    await reset_sim_stats(http, sim_url)
    outcomes_before = int(await bus.redis.xlen(bus.key(Stream.EVENTS)))
    jobs = requests_for(n)
    for start in range(0, n, 500):
        await bus.publish_many(jobs[start : start + 500])
    config = dataclasses.replace(consumer_config(settings), block_ms=100)
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(Consumer(bus, config, deliverer).run(stop))
    # Bounded: twice what the limiter needs for two calls per delivery, plus slack.
    async with asyncio.timeout(2 * 2 * n / settings.discord_requests_per_second + 30):
        await wait_for_outcomes(bus, outcomes_before + n)
    seconds = time.perf_counter() - started
    stop.set()
    await task
    return Pass(name, number, n, seconds, await sim_stats(http, sim_url))


def report(passes: list[Pass], settings: BotSettings) -> None:
    limit = DISCORD_GLOBAL_LIMIT_PER_SECOND
    table = Table(
        title="delivery through the Discord simulator "
        f"(limiter {settings.discord_requests_per_second:g}/s, "
        f"concurrency {settings.delivery_concurrency})"
    )
    for column in (
        "pass",
        "deliveries",
        "seconds",
        "REST calls",
        "calls/s",
        f"fraction of {limit}/s",
        "DMs/s",
        "peak calls in 1 s",
        "global 429s",
        "route 429s",
        "duplicates",
        "missing",
    ):
        table.add_column(column, justify="left" if column == "pass" else "right")
    for p in passes:
        table.add_row(
            p.name,
            f"{p.deliveries:,}",
            f"{p.seconds:.1f}",
            f"{p.requests:,}",
            f"{p.request_rate:.2f}",
            f"{p.request_rate / limit:.3f}",
            f"{p.deliveries / p.seconds:.2f}",
            str(p.stats["peak_per_second"]),
            str(p.stats["global_429s"]),
            str(p.stats["route_429s"]),
            str(p.duplicates),
            str(p.missing),
        )
    console = Console(width=160)
    console.print(table)
    for p in passes:
        fraction = p.request_rate / limit
        console.print(
            f"{p.name}: fraction {fraction:.3f} "
            f"({'meets' if fraction >= TARGET_FRACTION else 'MISSES'} the 0.95 target); "
            f"global 429s {p.stats['global_429s']}, duplicates {p.duplicates} (targets 0)"
        )


async def main(n: int, warm: bool, rate: float | None, concurrency: int | None) -> None:
    configure_logging("bench", "WARNING", json=False)
    redis = aioredis.Redis.from_url(REDIS_URL)
    prefix = f"mcbench:{uuid.uuid4().hex[:8]}:"
    bus = StreamBus(redis, prefix=prefix)
    overrides: dict[str, Any] = {}
    if rate is not None:
        overrides["discord_requests_per_second"] = rate
    if concurrency is not None:
        overrides["delivery_concurrency"] = concurrency
    try:
        async with simulator_process() as sim_url, aiohttp.ClientSession() as http:
            settings = BotSettings(
                _env_file=None,
                DISCORD_TOKEN=TOKEN,
                discord_api_base=f"{sim_url}/api/v10",
                **overrides,
            )
            async with open_discord(settings, redis, prefix) as sender:
                records = DeliveryRecords(redis, prefix, timedelta(hours=1))
                deliverer = Deliverer(bus, records, sender, settings)
                names = ["new users", "same users, DM channels cached"][: 2 if warm else 1]
                passes = [
                    await run_pass(name, n, bus, deliverer, settings, http, sim_url, number)
                    for number, name in enumerate(names, start=1)
                ]
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    report(passes, settings)
    record(*figures(passes))


TARGET_FRACTION = 0.95
"""Issue 4: REST calls sustained at this fraction of Discord's global limit or more."""


def figures(passes: list[Pass]) -> list[Figure]:
    limit = DISCORD_GLOBAL_LIMIT_PER_SECOND
    found = []
    for p in passes:
        found.append(
            Figure(
                "delivery",
                f"REST calls/s, {p.name}",
                p.request_rate,
                "/s",
                limit="Discord's global limit",
                limit_value=limit,
                target=f"ratio ≥ {TARGET_FRACTION}",
                met=p.request_rate / limit >= TARGET_FRACTION,
            )
        )
        counts = {"global 429s": p.stats["global_429s"], "duplicate DMs": p.duplicates}
        for name, count in counts.items():
            found.append(
                Figure("delivery", f"{name}, {p.name}", count, "", target="0", met=count == 0)
            )
    return found


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--warm", action="store_true", help="a second pass to the same users")
    parser.add_argument("--rate", type=float, default=None, help="limiter requests/s")
    parser.add_argument("--concurrency", type=int, default=None)
    args = parser.parse_args()
    asyncio.run(main(args.deliveries, args.warm, args.rate, args.concurrency))
