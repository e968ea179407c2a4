"""The fault suite's stack: the four services as real processes, a simulated Discord.

A :class:`Stack` is one MonsterCoach on loopback for one test: the session's throwaway
database, Redis keys under the test's own ``MC_KEY_PREFIX`` (or a dedicated Redis),
the Discord REST simulator as its own process (counters and faults through its control
API), and whichever services the test starts, each from its console script.
Every process is killed in the fixture's finalizer, whatever the test did.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis

from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.streams import CONSUMERS, Group
from tests.conftest import REDIS_URL
from tests.processes import free_port

from .endstate import EndState, eventually
from .load import COACH_DISCORD_ID, Day
from .processes import SCRIPTS, DiscordSim, Service, base_environment, event_is, run_command

TOKEN = "fault-suite-bot-token"
SESSION_SECRET = "fault-suite-session-secret-0123456789abcdef"

READY = {
    "api": event_is("Application startup complete."),
    # The deliveries consumer starts right after the REST login.
    "bot": event_is("logged in to Discord REST"),
    "scheduler": event_is("service started"),
    "flagworker": event_is("service started"),
}


class Stack:
    def __init__(
        self,
        workdir: Path,
        database_url: str,
        redis_url: str,
        prefix: str,
        sim: DiscordSim,
        pool: asyncpg.Pool,
    ):
        self.workdir = workdir
        self.database_url = database_url
        self.redis_url = redis_url
        self.prefix = prefix
        self.sim = sim
        self.pool = pool
        self.redis = aioredis.Redis.from_url(redis_url)
        self.bus = StreamBus(self.redis, prefix=prefix)
        self.services: dict[str, Service] = {}
        self.api_port = free_port()
        self.lock_id = random.randint(1, 2**62)

    def env(self, **overrides: str) -> dict[str, str]:
        """Every service's environment: this stack's stores, fast heartbeats, the bot
        aimed at the simulator with a short attempt timeout (so a hang costs seconds)."""
        return {
            **base_environment(),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "MC_KEY_PREFIX": self.prefix,
            "MC_ENVIRONMENT": "test",
            "MC_LOG_JSON": "true",
            "MC_HEARTBEAT_SECONDS": "1",
            "COACH_DISCORD_IDS": COACH_DISCORD_ID,
            "API_SESSION_SECRET": SESSION_SECRET,
            "API_COOKIE_SECURE": "false",
            "API_DEV_LOGIN": "true",
            "API_RATE_LIMIT": "100000/minute",
            "DISCORD_TOKEN": TOKEN,
            "BOT_DISCORD_API_BASE": self.sim.api_base,
            "BOT_DISCORD_GATEWAY_URL": self.sim.gateway_url,
            "BOT_DELIVERY_CONCURRENCY": "16",
            "BOT_DELIVERY_ATTEMPT_TIMEOUT_SECONDS": "3",
            "BOT_DELIVERY_BACKOFF_SECONDS": "0.5",
            "SCHEDULER_LOCK_ID": str(self.lock_id),
            "SCHEDULER_STANDBY_POLL_SECONDS": "0.5",
            "SCHEDULER_COACH_TIME_ZONE": "Europe/London",
            "FLAG_SCAN_CLAIM_IDLE_SECONDS": "30",
            **overrides,
        }

    def service(self, name: str, instance: str | None = None, **env: str) -> Service:
        """The service ``name`` (a second instance under another ``instance`` name)."""
        key = instance or name
        if key not in self.services:
            argv = [str(SCRIPTS / f"monstercoach-{name}")]
            if name == "api":
                argv += ["--host", "127.0.0.1", "--port", str(self.api_port)]
            self.services[key] = Service(key, argv, self.env(**env), self.workdir, READY[name])
        return self.services[key]

    async def start(self, *names: str, **env: str) -> list[Service]:
        """Start services side by side (start-up is mostly imports: they overlap well)."""
        services = [self.service(name, **env) for name in names]
        await asyncio.gather(*(s.start() for s in services))
        return services

    async def ensure_groups(self) -> None:
        """Create every consumer group up front, so nothing published before a service
        first connects is skipped by a group created later."""
        for stream, groups in CONSUMERS.items():
            for group in groups:
                await self.bus.ensure_group(stream, group)

    async def spawn_cli(self, name: str, *args: str, **env: str) -> Service:
        """``monstercoach <args>`` started in the background, e.g. to kill it midway."""
        argv = [str(SCRIPTS / "monstercoach"), *args]
        service = self.services[name] = Service(
            name, argv, self.env(**env), self.workdir, lambda _: True
        )
        return await service.start(wait=False)

    async def cli(self, *args: str, within: float = 60.0, **env: str) -> tuple[int, str]:
        """``monstercoach <args>`` as its own process, against this stack."""
        argv = [str(SCRIPTS / "monstercoach"), *args]
        return await run_command(argv, self.env(**env), self.workdir, within)

    async def dms_sent(self) -> int:
        """DMs Discord has created so far."""
        return int((await self.sim.stats())["messages_created"])

    async def until_dms(self, at_least: int, within: float = 30) -> None:
        """Until Discord has created ``at_least`` DMs (the bot is busy sending)."""

        async def enough() -> list[str]:
            sent = await self.dms_sent()
            return [] if sent >= at_least else [f"{sent} DMs so far"]

        await eventually(enough, within=within, every=0.05)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    async def coach(self) -> httpx.AsyncClient:
        """An HTTP client of the running api, logged in as the coach (dev login)."""
        client = httpx.AsyncClient(base_url=self.api_url, timeout=10)
        response = await client.post("/auth/dev-login")
        assert response.status_code == 200, response.text
        return client

    def end_state(self, day: Day | None) -> EndState:
        groups = {Group(s.name) for s in self.services.values() if s.name in set(Group)}
        return EndState(self.pool, self.bus, self.sim, day, groups, self.stop_services)

    async def stop_services(self) -> None:
        await asyncio.gather(*(s.stop(grace=5) for s in self.services.values()))

    async def close(self) -> None:
        await self.stop_services()
        with contextlib.suppress(aioredis.RedisError, OSError):
            keys = [k async for k in self.redis.scan_iter(match=f"{self.prefix}*", count=1000)]
            for start in range(0, len(keys), 1000):
                await self.redis.delete(*keys[start : start + 1000])
        await self.redis.aclose()

    def logs(self) -> str:
        return "\n".join(f"--- {s.name} ---\n{s.tail(15)}" for s in self.services.values())


MakeStack = Callable[..., Awaitable[Stack]]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        # Remembered so the stack's finalizer shows the services' logs only on failure.
        item.stash[FAILED] = report.failed
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # The figures each fault test prints (a line starting with FIGURES), after the run.
    lines = [
        line
        for status in ("passed", "failed")
        for report in terminalreporter.stats.get(status, [])
        if report.when == "call"
        for line in report.capstdout.splitlines()
        if line.startswith(FIGURES)
    ]
    if lines:
        terminalreporter.write_sep("-", "fault suite figures")
        for line in lines:
            terminalreporter.write_line(line)


FIGURES = "FIGURES "
FAILED = pytest.StashKey[bool]()


@pytest.fixture
async def make_stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    database_url: str,
    redis_prefix: str,
    pool: asyncpg.Pool,
) -> AsyncIterator[MakeStack]:
    """Build a stack (optionally on another Redis); everything it started is stopped at
    the end of the test."""
    stacks: list[Stack] = []
    sims: list[DiscordSim] = []

    async def make(redis_url: str = REDIS_URL) -> Stack:
        sim = DiscordSim(tmp_path, TOKEN)
        sims.append(sim)
        await sim.start()
        stack = Stack(tmp_path, database_url, redis_url, redis_prefix, sim, pool)
        stacks.append(stack)
        await stack.ensure_groups()
        return stack

    try:
        yield make
    finally:
        for stack in stacks:
            if request.node.stash.get(FAILED, True):
                print(stack.logs())
            await stack.close()
        for sim in sims:
            await sim.close()


@pytest.fixture
async def stack(make_stack: MakeStack) -> Stack:
    return await make_stack()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test here runs the services as real processes for minutes: opt-in (the marker
    # is deselected by default in pyproject's addopts; `make test-faults` selects it).
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.integration)
