"""Roster and chart latency through a real uvicorn on loopback, beside a bare endpoint.

Loads a throwaway database with ``COPY``: the demo roster's 25 personas (consistent,
patchy, slipping, gone quiet, recon, paused, blocked…) repeated under new names and ids
up to each ``--clients`` size, each with four weeks of history (check-ins, meals,
workouts, weigh-ins, job cards and items, deliveries, the scheduler's fires, DMs,
flags). The api runs as its own process (``monstercoach-api``, the production entry
point, one uvicorn worker with the default pool of 10 connections); the benchmark logs
in with the dev login. The load comes from this process over loopback: by default a
minimal keep-alive HTTP/1.1 client (``--client raw``), since httpx spent twice the
api's own CPU on a bare request, on the same two cores (``--client httpx`` keeps it,
for comparison). At each size it times, after a warm-up:

* bare: ``GET /auth/me`` — routing, rate limit, session cookie, JSON; no database;
* roster: ``GET /clients`` (50 a page, the pages cycling) sorted by name, by 7-day
  compliance (every client's stored rate, recomputed in the background), and most
  flagged first (Battle Station's default view);
* chart: ``GET /clients/{id}/charts`` (28 days), over every client in turn;
* once, first: the compliance sort with no rates ever stored (cold: it waits for them);

at concurrency 1 (latency) and 16 (under load): p50/p95 latency, requests/s, the ratio
of each p50 to the bare endpoint's, and where the CPU went per request: the api's
processes, the database's PostgreSQL backends, and the load generator (from
``/proc/<pid>/stat``, so other work on the machine does not count).

    uv run python bench/api.py --clients 1000 10000 --requests 400
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import re
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
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
            # The ranking and the weeks stored at the last size would serve this one's first
            # compliance sort: without them, that request is cold again (it waits for the
            # computation). Every client keeps their roster_keys row, rate unknown.
            await conn.execute("TRUNCATE client_weeks, client_rates_state")
            await conn.execute("UPDATE roster_keys SET rate = NULL")
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


@dataclass
class Api:
    base: str
    pid: int


@contextlib.asynccontextmanager
async def api_process(database_url: str) -> AsyncIterator[Api]:
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
        yield Api(base, process.pid)
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


# --- CPU accounting ---------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def with_descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (uvicorn's workers)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with (
                contextlib.suppress(OSError, IndexError),
                open(f"/proc/{entry}/stat", encoding="ascii") as stat,
            ):
                parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
    found = [pid]
    for candidate in found:
        found += [child for child, parent in parents.items() if parent == candidate]
    return found


@dataclass
class Cpu:
    """CPU seconds spent so far by the api's processes, the database's backends and this
    process (the load generator)."""

    api: float
    postgres: dict[int, float]
    client: float

    @classmethod
    async def now(cls, api_pid: int, admin: asyncpg.Connection) -> Cpu:
        backends = await admin.fetch(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cls(
            api=sum(map(cpu_seconds, with_descendants(api_pid))),
            postgres={row["pid"]: cpu_seconds(row["pid"]) for row in backends},
            client=time.process_time(),
        )

    def since(self, start: Cpu) -> tuple[float, float, float]:
        """(api, PostgreSQL, client) seconds between ``start`` and this; backends opened
        in between count from zero."""
        postgres = sum(cpu - start.postgres.get(pid, 0.0) for pid, cpu in self.postgres.items())
        return self.api - start.api, postgres, self.client - start.client


# --- load ---------------------------------------------------------------------------------

Get = Callable[[str], Awaitable[int]]
"""GET a path, answer its status code (the body read and dropped)."""

CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *([0-9]+)", re.IGNORECASE)


class RawConnection:
    """One keep-alive HTTP/1.1 connection for GETs answered with a Content-Length (what
    uvicorn sends for these endpoints). It costs a fraction of httpx's CPU per request,
    which on two shared cores is CPU the api under test gets back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes):
        self.reader = reader
        self.writer = writer
        self.head = head

    @classmethod
    async def open(cls, base: str, cookies: httpx.Cookies) -> RawConnection:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        head = f" HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n".encode()
        return cls(reader, writer, head)

    async def get(self, path: str) -> int:
        self.writer.write(b"GET " + path.encode() + self.head)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = CONTENT_LENGTH.search(head)
        if length is None:
            raise RuntimeError(f"no Content-Length in the answer to {path}: {head!r}")
        await self.reader.readexactly(int(length[1]))
        return int(head[9:12])

    async def aclose(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


@contextlib.asynccontextmanager
async def getters(
    kind: str, base: str, cookies: httpx.Cookies, count: int
) -> AsyncIterator[list[Get]]:
    """``count`` ways to GET, one per concurrent worker: raw connections, or one shared
    httpx client (the load generator this benchmark used first)."""
    if kind == "httpx":
        limits = httpx.Limits(max_connections=count)
        async with httpx.AsyncClient(
            base_url=base, cookies=cookies, limits=limits, timeout=60
        ) as client:

            async def get(path: str) -> int:
                return (await client.get(path)).status_code

            yield [get] * count
        return
    connections = [await RawConnection.open(base, cookies) for _ in range(count)]
    try:
        yield [connection.get for connection in connections]
    finally:
        for connection in connections:
            await connection.aclose()


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Result:
    clients: int
    name: str
    concurrency: int
    p50_ms: float
    p95_ms: float
    per_second: float
    cpu_ms: tuple[float, float, float] | None = None
    """CPU per request: the api's processes, PostgreSQL's backends, the load generator."""


WARM_UP = 20
"""Untimed requests per concurrent getter before each row."""


def checked(status: int, path: str) -> None:
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")


async def measure(
    gets: list[Get], paths: Callable[[], str], requests: int, cpu: Callable[[], Awaitable[Cpu]]
) -> tuple[float, float, float, tuple[float, float, float]]:
    """(p50 ms, p95 ms, requests/s, CPU ms per request) of ``requests`` GETs, one worker
    per getter."""

    async def warm(get: Get) -> None:
        for _ in range(WARM_UP):
            path = paths()
            checked(await get(path), path)

    # On every getter at once: one at a time, they all went through one pooled connection,
    # and at 16 concurrent the timed requests opened the others, prepared their statements
    # and planned them (PostgreSQL plans a prepared statement five times before it may
    # keep a generic plan) — the pool's start-up, not the steady state being measured.
    await asyncio.gather(*(warm(get) for get in gets))
    latencies: list[float] = []
    queue = iter(range(requests))

    async def worker(get: Get) -> None:
        for _ in queue:
            path = paths()
            started = time.perf_counter()
            status = await get(path)
            latencies.append(time.perf_counter() - started)
            checked(status, path)

    before = await cpu()
    started = time.perf_counter()
    await asyncio.gather(*(worker(get) for get in gets))
    elapsed = time.perf_counter() - started
    api, postgres, client = (await cpu()).since(before)
    cuts = statistics.quantiles(latencies, n=20)
    per_request = (api * 1000 / requests, postgres * 1000 / requests, client * 1000 / requests)
    return statistics.median(latencies) * 1000, cuts[18] * 1000, requests / elapsed, per_request


def cycle(paths: list[str]) -> Callable[[], str]:
    items = itertools.cycle(paths)
    return lambda: next(items)


async def run_size(api: Api, url: str, clients: int, requests: int, kind: str) -> list[Result]:
    ids = [row["id"] for row in await fetch(url, "SELECT id FROM clients ORDER BY id")]
    pages = [f"/clients?limit=50&offset={offset}" for offset in range(0, min(clients, 1000), 50)]
    scenarios = {
        "bare (/auth/me)": cycle(["/auth/me"]),
        "roster, by name": cycle(pages),
        "roster, by 7-day compliance": cycle([f"{p}&sort=compliance_7d" for p in pages]),
        "roster, most flagged first (the default)": cycle(
            [f"{p}&sort=open_flags&order=desc" for p in pages]
        ),
        "chart (28 days)": cycle([f"/clients/{client_id}/charts" for client_id in ids]),
    }
    results = []
    async with httpx.AsyncClient(base_url=api.base, timeout=60) as client:
        (await client.post("/auth/dev-login")).raise_for_status()
        started = time.perf_counter()
        (await client.get(f"{pages[0]}&sort=compliance_7d")).raise_for_status()
        cold_ms = (time.perf_counter() - started) * 1000
        results.append(Result(clients, "roster, by 7-day compliance, cold", 1, cold_ms, cold_ms, 0))
        cookies = client.cookies
    admin = await asyncpg.connect(url)
    try:
        # That first computation rewrote every client's rate: what autovacuum does within
        # a minute of it (roster_keys is vacuumed after 50 changed rows, migration 0006),
        # so that the timed pages read the steady state, not the minute after a refresh.
        await admin.execute("VACUUM roster_keys")
        for concurrency in CONCURRENCY:
            async with getters(kind, api.base, cookies, concurrency) as gets:
                for name, paths in scenarios.items():
                    p50, p95, rate, cpu = await measure(
                        gets, paths, requests, lambda: Cpu.now(api.pid, admin)
                    )
                    results.append(Result(clients, name, concurrency, p50, p95, rate, cpu))
    finally:
        await admin.close()
    return results


async def fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql)
        return rows
    finally:
        await conn.close()


# --- the run ------------------------------------------------------------------------------


async def main(sizes: list[int], requests: int, kind: str) -> None:
    console = Console(width=150)
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
            load_average = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            console.print(f"loaded {size:,} clients ({seconds:.0f} s); load average {load_average}")
            loaded = size
            async with api_process(url) as api:
                results += await run_size(api, url, size, requests, kind)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    print_results(console, results, requests, kind)
    record(*figures(results))


TARGET_P95_MS = {
    "roster, by name": 50.0,
    "roster, by 7-day compliance": 50.0,
    "roster, most flagged first (the default)": 50.0,
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


def print_results(console: Console, results: list[Result], requests: int, kind: str) -> None:
    table = Table(
        title=f"{requests} requests per row, after {WARM_UP} warm-up requests per concurrent "
        "client; "
        f"{kind} client; CPU ms per request of the api, "
        "PostgreSQL and the client"
    )
    columns = ("clients", "endpoint", "concurrency", "p50 ms", "p95 ms", "req/s", "p50 / bare")
    for column in (*columns, "api", "PostgreSQL", "client"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    bare = {(r.clients, r.concurrency): r.p50_ms for r in results if r.name.startswith("bare")}
    results = sorted(results, key=lambda r: (r.clients, r.concurrency))
    for r in results:
        ratio = r.p50_ms / bare[(r.clients, r.concurrency)]
        cpu: Iterable[str] = (f"{ms:.2f}" for ms in r.cpu_ms) if r.cpu_ms else ("-",) * 3
        table.add_row(
            f"{r.clients:,}",
            r.name,
            str(r.concurrency),
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.per_second:,.0f}" if r.per_second else "-",
            f"{ratio:.1f}",
            *cpu,
        )
    console.print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw", help="the load generator"
    )
    args = parser.parse_args()
    asyncio.run(main(args.clients, args.requests, args.client))
