"""The hostile-input suite's api: the real ``monstercoach-api`` process (uvicorn, its
middleware, its consumers) on loopback, with the demo roster seeded, per module.

Requests authenticate with a session cookie signed by the api's own session code and
secret (what a logged-in coach's browser holds), so no login flow is in the way.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis

from monstercoach_api.auth.session import SESSION_COOKIE, Sessions
from monstercoach_cli.seed import seed_demo
from monstercoach_kit.settings import KitSettings
from tests.conftest import REDIS_URL
from tests.integration.processes import SCRIPTS, base_environment
from tests.processes import free_port

SECRET = "hostile-suite-session-secret-0123456789abcdef"
COACH = "100000000000000077"
NOT_A_COACH = "100000000000000078"


@dataclass
class RunningApi:
    url: str
    prefix: str
    database_url: str
    log: Path
    proc: subprocess.Popen[bytes]
    sessions: Sessions = field(
        default_factory=lambda: Sessions(SECRET, timedelta(hours=12), secure=False)
    )

    def cookie(self, discord_user_id: str = COACH, issued: datetime | None = None) -> str:
        session = self.sessions.issue(discord_user_id, "hostile", issued or datetime.now(UTC))
        return self.sessions.encode(session)

    def client(self, cookie: str | None = None, **headers: str) -> httpx.Client:
        """A client of the api; logged in as the coach unless given another cookie."""
        cookies = {SESSION_COOKIE: cookie if cookie is not None else self.cookie()}
        return httpx.Client(base_url=self.url, cookies=cookies, headers=headers, timeout=15)

    def async_client(self) -> httpx.AsyncClient:
        """An async client of the api, logged in as the coach."""
        return httpx.AsyncClient(
            base_url=self.url, cookies={SESSION_COOKIE: self.cookie()}, timeout=15
        )

    def logged(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")


def start_api(workdir: Path, database_url: str, **env: str) -> RunningApi:
    """The api as a process, waited for until it serves."""
    port = free_port()
    prefix = f"mctest:{uuid.uuid4().hex[:12]}:"
    log = workdir / f"api-{port}.log"
    environment = {
        **base_environment(),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "MC_KEY_PREFIX": prefix,
        "MC_ENVIRONMENT": "test",
        "MC_LOG_JSON": "true",
        "COACH_DISCORD_IDS": COACH,
        "API_SESSION_SECRET": SECRET,
        "API_COOKIE_SECURE": "false",
        "API_RATE_LIMIT": "100000/minute",
        # Credentials for a Discord nobody answers: the login redirect works, and a
        # callback that got past the state check would fail on Discord's side.
        "DISCORD_CLIENT_ID": "123456789012345678",
        "DISCORD_CLIENT_SECRET": "hostile-client-secret",
        "DISCORD_OAUTH_BASE_URL": f"http://127.0.0.1:{free_port()}",
        **env,
    }
    argv = [str(SCRIPTS / "monstercoach-api"), "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env=environment, cwd=workdir
        )
    running = RunningApi(f"http://127.0.0.1:{port}", prefix, database_url, log, proc)
    deadline = time.monotonic() + 45
    while not running.logged('"Application startup complete."'):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_api(running)
            raise AssertionError(f"the api did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    return running


def stop_api(api: RunningApi) -> None:
    if api.proc.poll() is None:
        api.proc.terminate()
        try:
            api.proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            api.proc.kill()
            api.proc.wait()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{api.prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


async def empty_tables(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        names = ", ".join(f'"{row[0]}"' for row in tables)
        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def api(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    """The api over the demo roster (25 clients, four weeks of history)."""
    asyncio.run(empty_tables(database_url))
    asyncio.run(
        seed_demo(KitSettings(DATABASE_URL=database_url), reset=True, now=datetime.now(UTC))
    )
    running = start_api(tmp_path_factory.mktemp("hostile-api"), database_url, API_DEV_LOGIN="true")
    try:
        yield running
    finally:
        stop_api(running)
        asyncio.run(empty_tables(database_url))


def ids_of(api: RunningApi, path: str) -> list[str]:
    with api.client() as client:
        response = client.get(path, params={"limit": 200})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]
