"""Roster and chart latency through a real uvicorn on loopback, beside a bare endpoint.

Loads a throwaway database with ``COPY``: the demo roster's 25 personas (consistent,
patchy, slipping, gone quiet, recon, paused, blocked…) repeated under new names and ids
up to each ``--clients`` size, each with four weeks of history (check-ins, meals,
workouts, weigh-ins, job cards and items, deliveries, the scheduler's fires, DMs,
flags). The api runs as its own process (``monstercoach-api``, the production entry
point, one uvicorn worker, the default pool of 10 connections); the benchmark is an
httpx client in this process, logged in through the dev login. At each size it times,
after a warm-up:

* bare: ``GET /auth/me`` — routing, rate limit, session cookie, JSON; no database;
* roster: ``GET /clients`` (50 a page, the pages cycling) sorted by name, and sorted
  by 7-day compliance (which must compute every client's week before it can page);
* chart: ``GET /clients/{id}/charts`` (28 days), over every client in turn;
* once, first: the compliance sort with its every-client rates not yet computed (cold);

at concurrency 1 (latency) and 16 (under load): p50/p95 latency, requests/s, and the
ratio of each p50 to the bare endpoint's.

    uv run python bench/api.py --clients 1000 10000 --requests 400
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import asyncpg
import httpx
from figures import Figure, record
from rich.console import Console
from rich.table import Table

from monstercoach_cli.seed import PERSONAS, DemoData, build_client, build_demo, write_demo
from monstercoach_kit.db import init_connection
from monstercoach_kit.migrate import upgrade

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
COACH_ID = "111111111111111111"
NOW = datetime.now(UTC)
CONCURRENCY = (1, 16)


# --- data -----------------------------------------------------------------------------------


def variants(first: int, count: int) -> Iterator[tuple[int, int]]:
    """(copy number, persona index) for clients ``first`` .. ``first + count - 1``."""
    for n in range(first, first + count):
        yield divmod(n, len(PERSONAS))


def build(first: int, count: int, base: DemoData) -> DemoData:
    """Clients ``first``… of the roster; copy 0 is the demo itself (``base``)."""
    coach = base.coaches[0]
    data = DemoData()
    for copy, index in variants(first, count):
        persona = PERSONAS[index]
        if copy == 0:
            continue  # already in the demo
        twin = replace(persona, key=f"{persona.key}~{copy}", name=f"{persona.name} {copy}")
        data.extend(build_client(twin, coach, NOW))
    return data


async def connect(url: str) -> asyncpg.Connection:
    """A connection with the kit's codecs (jsonb as Python objects), as the seeder expects."""
    conn: asyncpg.Connection = await asyncpg.connect(url)
    await init_connection(conn)
    return conn


async def load(url: str, first: int, count: int, base: DemoData) -> float:
    started = time.perf_counter()
    data = build(first, count, base)
    conn = await connect(url)
    try:
        async with conn.transaction():
            await write_demo(conn, data)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


# --- the api process ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def api_process(database_url: str) -> AsyncIterator[str]:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "MC_KEY_PREFIX": f"mcbench:{uuid.uuid4().hex[:8]}:",
        "MC_LOG_LEVEL": "WARNING",
        "COACH_DISCORD_IDS": COACH_ID,
        "API_DEV_LOGIN": "true",
        "API_COOKIE_SECURE": "false",
        "API_RATE_LIMIT": "10000000/minute",
        "API_INGEST": "false",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from monstercoach_api.main import main; main()",
        "--port",
        str(port),
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(base)
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


async def wait_healthy(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("the api did not become healthy")


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Result:
    clients: int
    name: str
    concurrency: int
    p50_ms: float
    p95_ms: float
    per_second: float


async def measure(
    client: httpx.AsyncClient, paths: Callable[[], str], requests: int, concurrency: int
) -> tuple[float, float, float]:
    """(p50 ms, p95 ms, requests/s) of ``requests`` GETs, ``concurrency`` at a time."""
    for _ in range(20):  # warm-up: connections, prepared statements, caches
        (await client.get(paths())).raise_for_status()
    latencies: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            path = paths()
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=20)
    return statistics.median(latencies) * 1000, cuts[18] * 1000, requests / elapsed


def cycle(paths: list[str]) -> Callable[[], str]:
    items = itertools.cycle(paths)
    return lambda: next(items)


async def run_size(base: str, url: str, clients: int, requests: int) -> list[Result]:
    ids = [row["id"] for row in await fetch(url, "SELECT id FROM clients ORDER BY id")]
    pages = [f"/clients?limit=50&offset={offset}" for offset in range(0, min(clients, 1000), 50)]
    scenarios = {
        "bare (/auth/me)": cycle(["/auth/me"]),
        "roster, by name": cycle(pages),
        "roster, by 7-day compliance": cycle([f"{p}&sort=compliance_7d" for p in pages]),
        "chart (28 days)": cycle([f"/clients/{client_id}/charts" for client_id in ids]),
    }
    results = []
    limits = httpx.Limits(max_connections=max(CONCURRENCY))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        (await client.post("/auth/dev-login")).raise_for_status()
        started = time.perf_counter()
        (await client.get(f"{pages[0]}&sort=compliance_7d")).raise_for_status()
        cold_ms = (time.perf_counter() - started) * 1000
        results.append(Result(clients, "roster, by 7-day compliance, cold", 1, cold_ms, cold_ms, 0))
        for concurrency in CONCURRENCY:
            for name, paths in scenarios.items():
                p50, p95, rate = await measure(client, paths, requests, concurrency)
                results.append(Result(clients, name, concurrency, p50, p95, rate))
    return results


async def fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql)
        return rows
    finally:
        await conn.close()


# --- the run ------------------------------------------------------------------------------


async def main(sizes: list[int], requests: int) -> None:
    console = Console(width=120)
    admin = await asyncpg.connect(ADMIN_URL)
    name = f"mc_bench_api_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    results: list[Result] = []
    try:
        await asyncio.to_thread(upgrade, url)
        base_data = build_demo(NOW)
        conn = await connect(url)
        try:
            await write_demo(conn, base_data)
        finally:
            await conn.close()
        loaded = len(PERSONAS)
        for size in sorted(sizes):
            seconds = await load(url, loaded, size - loaded, base_data)
            console.print(f"loaded {size:,} clients ({seconds:.0f} s)")
            loaded = size
            async with api_process(url) as api:
                results += await run_size(api, url, size, requests)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    print_results(console, results, requests)
    record(*figures(results))


TARGET_P95_MS = {
    "roster, by name": 50.0,
    "roster, by 7-day compliance": 50.0,
    "chart (28 days)": 30.0,
}
"""Issue 5's targets, at 1,000 clients and 16 concurrent requests."""


def figures(results: list[Result]) -> list[Figure]:
    """Each endpoint's p95 beside the bare endpoint's at 1,000 clients and concurrency 16;
    the roster's p95 at every size, for the scaling table."""
    found = []
    bare = {(r.clients, r.concurrency): r for r in results if r.name.startswith("bare")}
    for r in results:
        if r.name in TARGET_P95_MS and r.clients == 1_000 and r.concurrency == 16:
            target = TARGET_P95_MS[r.name]
            found.append(
                Figure(
                    "api",
                    f"{r.name}, p95 at 16 concurrent, 1,000 clients",
                    r.p95_ms,
                    "ms",
                    limit="bare endpoint's p95",
                    limit_value=bare[r.clients, 16].p95_ms,
                    target=f"< {target:g} ms",
                    met=r.p95_ms < target,
                )
            )
        if r.name == "roster, by name":
            column = f"roster p95, {r.concurrency} concurrent (ms)"
            found.append(Figure("api", r.name, r.p95_ms, "ms", clients=r.clients, column=column))
    return found


def print_results(console: Console, results: list[Result], requests: int) -> None:
    table = Table(title=f"{requests} requests per row, after 20 warm-up requests")
    for column in ("clients", "endpoint", "concurrency", "p50 ms", "p95 ms", "req/s", "p50 / bare"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    bare = {(r.clients, r.concurrency): r.p50_ms for r in results if r.name.startswith("bare")}
    results = sorted(results, key=lambda r: (r.clients, r.concurrency))
    for r in results:
        ratio = r.p50_ms / bare[(r.clients, r.concurrency)]
        table.add_row(
            f"{r.clients:,}",
            r.name,
            str(r.concurrency),
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.per_second:,.0f}" if r.per_second else "-",
            f"{ratio:.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    asyncio.run(main(args.clients, args.requests))
