"""``monstercoach dev``: the whole system on this machine, under one supervisor.

What ``make dev`` runs after ``uv sync`` (and ``npm ci`` for Battle Station):

1. PostgreSQL and Redis: the configured URLs, else the local default ports, else
   embedded throwaway servers under ``.data/`` (see :mod:`.backends`).
2. Migrations, then the demo (a coach and 25 clients) when the database has no coach.
3. The api, bot, scheduler and flag worker, the simulated clients (in dry-run, i.e.
   without ``DISCORD_TOKEN``) and Battle Station's Vite dev server, in one combined
   log (see :mod:`.supervisor`). The api gets the dev login, an http-friendly cookie
   and the demo coach on its allowlist, so "Dev login" on Battle Station just works.
4. Ctrl-C (or SIGTERM) stops the services, then the embedded servers.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import warnings
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import asyncpg
import typer
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from monstercoach_kit.log import redact_text
from monstercoach_kit.settings import KitSettings

from .backends import (
    Backends,
    EmbeddedError,
    EmbeddedPostgres,
    Source,
    choose_backends,
    free_port,
    port_open,
    redis_child,
    wait_for_redis,
)
from .seed import DEMO_COACH_ID, PERSONAS, SeedError, build_demo, seed_demo
from .supervisor import (
    BOLD,
    DIM,
    RED,
    YELLOW,
    ChildSpec,
    Supervisor,
    install_stop_signals,
    use_colour,
    wait_for_stop,
)

SERVICES = ("api", "bot", "scheduler", "flagworker")
EMBEDDED_SPEED = 60.0
"""On the embedded database (throwaway by construction) the demo runs a simulated hour per
real minute, so a newcomer sees fires and answers at once; a developer's own database
keeps real time (above 1x the schedule runs ahead of the wall clock)."""
HEALTH_TIMEOUT_SECONDS = 120.0
"""A cold api start (imports, pool, consumers) on a busy two-core laptop."""


class DevEnv(BaseSettings):
    """What the developer configured (environment or ``.env``) that ``dev`` must respect.

    Read with the same names the services read, so a value in ``.env`` counts too.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "MC_DATABASE_URL")
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "MC_REDIS_URL")
    )
    environment: str = Field(default="development", validation_alias="MC_ENVIRONMENT")
    discord_token: str | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "BOT_DISCORD_TOKEN")
    )
    coach_discord_ids: str | None = Field(
        default=None, validation_alias=AliasChoices("COACH_DISCORD_IDS", "API_COACH_DISCORD_IDS")
    )
    public_url: str | None = Field(default=None, validation_alias="API_PUBLIC_URL")
    web_url: str | None = Field(default=None, validation_alias="API_WEB_URL")

    @property
    def dry_run(self) -> bool:
        return not (self.discord_token or "").strip()


@dataclass(frozen=True)
class DevOptions:
    api_port: int = 8000
    web_port: int = 5173
    speed: float | None = None
    """Simulated clients' speed; ``None``: :data:`EMBEDDED_SPEED` on an embedded (throwaway)
    database, real time on any other."""
    simulate: bool = True
    web: bool = True
    embedded: bool = False
    keep_going: bool = False
    grace: float = 10.0
    pretty: bool = True
    data_dir: Path | None = None


@dataclass(frozen=True)
class Coach:
    discord_user_id: str
    display_name: str
    seeded_now: bool


def demo_speed(asked: float | None, backends: Backends) -> float:
    """The simulated clients' speed: as asked, else fast only on a throwaway database."""
    if asked is not None:
        return asked
    return EMBEDDED_SPEED if backends.postgres.source is Source.EMBEDDED else 1.0


def project_root(start: Path | None = None) -> Path:
    """The uv workspace root above ``start`` (the repository), else ``start`` itself."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        manifest = folder / "pyproject.toml"
        if manifest.exists() and "[tool.uv.workspace]" in manifest.read_text():
            return folder
    return here


def script(name: str) -> str:
    """A console script of this environment (beside our interpreter), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise typer.BadParameter(f"{name} is not installed: run `uv sync --all-packages`")
    return found


# --- database set-up -----------------------------------------------------------------


def migrate(url: str) -> None:
    # Imported here, not at the top: see database.py.
    from monstercoach_kit.migrate import create_database_if_missing, upgrade

    create_database_if_missing(url)
    upgrade(url)


async def ensure_demo(url: str, now: datetime) -> Coach | None:
    """Seed the demo when the database has no coach; the coach the dev login should be."""
    conn = await asyncpg.connect(url)
    try:
        empty = not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM coaches)")
    finally:
        await conn.close()
    if empty:
        settings = KitSettings(DATABASE_URL=url)
        await seed_demo(settings, reset=False, now=now, build=build_demo)
    conn = await asyncpg.connect(url)
    try:
        # The demo coach when there is one, else whoever has been coaching longest.
        row = await conn.fetchrow(
            "SELECT discord_user_id, display_name FROM coaches "
            "ORDER BY (id = $1) DESC, created_at LIMIT 1",
            DEMO_COACH_ID,
        )
    finally:
        await conn.close()
    if row is None:
        return None
    return Coach(row["discord_user_id"], row["display_name"], seeded_now=empty)


# --- the children --------------------------------------------------------------------


def child_env(
    env: DevEnv,
    database_url: str,
    redis_url: str,
    backends: Backends,
    coach: Coach | None,
    options: DevOptions,
) -> dict[str, str]:
    """What every child gets on top of our own environment."""
    values = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # Local http development: the dev login (loopback only) and a cookie that is
        # sent over http. The api refuses both in production; `dev` refuses production.
        "API_DEV_LOGIN": "true",
        "API_COOKIE_SECURE": "false",
    }
    if backends.postgres.source is not Source.CONFIGURED:
        # A DATABASE_DIRECT_URL in .env belongs to the configured database, not ours.
        values["DATABASE_DIRECT_URL"] = database_url
    if not env.coach_discord_ids and coach is not None:
        values["COACH_DISCORD_IDS"] = coach.discord_user_id
    if not env.public_url:
        values["API_PUBLIC_URL"] = f"http://127.0.0.1:{options.api_port}"
    if not env.web_url:
        values["API_WEB_URL"] = f"http://127.0.0.1:{options.web_port}/"
    return values


def service_specs(
    env: dict[str, str], options: DevOptions, root: Path, dry_run: bool, web: bool
) -> list[ChildSpec]:
    specs = [
        ChildSpec(
            "api",
            [script("monstercoach-api"), "--host", "127.0.0.1", "--port", str(options.api_port)],
            env=env,
        ),
        *(ChildSpec(name, [script(f"monstercoach-{name}")], env=env) for name in SERVICES[1:]),
    ]
    if dry_run and options.simulate:
        speed = options.speed or 1.0
        simulate = [script("monstercoach"), "simulate", "--speed", f"{speed:g}"]
        specs.append(ChildSpec("simulator", simulate, env=env))
    if web:
        npm = shutil.which("npm") or "npm"
        argv = [npm, "run", "dev", "--", "--clearScreen", "false", "--port", str(options.web_port)]
        web_env = {**env, "MC_API_URL": f"http://127.0.0.1:{options.api_port}"}
        specs.append(ChildSpec("web", argv, cwd=root / "web", env=web_env))
    return specs


async def api_healthy(port: int, patience: float = 2.0) -> bool:
    """``GET /health`` answers 200 (a bare HTTP/1.0 request: no client library needed)."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), timeout=patience
        )
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), timeout=patience)
        return status.split(b" ")[1:2] == [b"200"]
    except (OSError, TimeoutError, IndexError):
        return False
    finally:
        writer.close()


async def wait_until_healthy(port: int, within: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if await api_healthy(port):
            return True
        await asyncio.sleep(0.5)
    return False


# --- the run -------------------------------------------------------------------------


class DevError(Exception):
    """A reason not to start, said plainly."""


class Dev:
    """One ``monstercoach dev`` run: set-up, children, banner, clean stop."""

    def __init__(self, options: DevOptions, supervisor: Supervisor, root: Path):
        self.options = options
        self.sup = supervisor
        self.root = root
        self.data_dir = options.data_dir or root / ".data"
        self.postgres: EmbeddedPostgres | None = None
        self._postgres_start: asyncio.Task[str] | None = None

    async def run(self) -> int:
        stop = asyncio.Event()
        install_stop_signals(self.sup, stop)
        startup = asyncio.create_task(self.start_everything(), name="dev-startup")
        stopped = asyncio.create_task(stop.wait())
        crashed = asyncio.create_task(self.sup.failed.wait())
        try:
            done, _ = await asyncio.wait(
                {startup, stopped, crashed}, return_when=asyncio.FIRST_COMPLETED
            )
            if startup in done:
                startup.result()  # a DevError surfaces here
                reason = await wait_for_stop(self.sup, stop)
            else:
                startup.cancel()
                reason = "signal" if stopped in done else "crash"
        except DevError as exc:
            self.sup.say(f"✖ {exc}", RED)
            return 2
        except (OSError, asyncpg.PostgresError) as exc:  # e.g. a database that refuses us
            self.sup.say(f"✖ start-up failed: {type(exc).__name__}: {exc}", RED)
            return 1
        finally:
            for task in (startup, stopped, crashed):
                task.cancel()
            await self.shut_down()
        code = self.sup.exit_code()
        if reason == "signal" and code == 0:
            self.sup.say("everything stopped", BOLD)
        return code

    async def shut_down(self) -> None:
        running = self.sup.running()
        if running:
            self.sup.say(f"stopping {', '.join(running)}", DIM)
        await self.sup.stop_all()
        if self._postgres_start is not None:
            await asyncio.gather(self._postgres_start, return_exceptions=True)
        if self.postgres is not None:
            self.sup.say("stopping the embedded PostgreSQL", DIM)
            await asyncio.to_thread(self.postgres.stop)
            self.postgres = None

    async def start_everything(self) -> None:
        options, say = self.options, self.sup.say
        env = DevEnv()
        if env.environment.strip().lower() == "production":
            raise DevError("MC_ENVIRONMENT=production: `dev` runs development only")
        backends = await asyncio.to_thread(
            choose_backends, env.database_url, env.redis_url, embedded_only=options.embedded
        )
        redis_url = await self.start_redis(backends)
        database_url = await self.start_postgres(backends)
        self.options = options = replace(options, speed=demo_speed(options.speed, backends))

        say(f"migrating {redact_text(database_url)}")
        await asyncio.to_thread(migrate, database_url)
        try:
            coach = await ensure_demo(database_url, datetime.now(UTC))
        except SeedError as exc:
            raise DevError(str(exc)) from exc
        if coach is not None and coach.seeded_now:
            say(f"seeded the demo: {coach.display_name} and {len(PERSONAS)} clients")

        web = await self.web_ready(options)
        self.check_ports(web)
        values = child_env(env, database_url, redis_url, backends, coach, options)
        specs = service_specs(values, options, self.root, env.dry_run, web)
        for spec in specs:
            await self.sup.start(spec)
        if not env.dry_run:
            say("DISCORD_TOKEN is set: DMs go to real Discord users; no simulated clients")
        if await wait_until_healthy(options.api_port, HEALTH_TIMEOUT_SECONDS):
            self.banner(backends, coach, web, env.dry_run)
        else:
            say(f"the api did not answer /health within {HEALTH_TIMEOUT_SECONDS:g}s", YELLOW)

    async def start_redis(self, backends: Backends) -> str:
        choice = backends.redis
        if choice.url is not None:
            self.sup.say(f"Redis: {redact_text(choice.url)} ({choice.describe()})")
            return choice.url
        port = free_port()
        try:
            spec = redis_child(self.data_dir / "redis", port)
        except EmbeddedError as exc:
            raise DevError(str(exc)) from exc
        await self.sup.start(spec)
        url = f"redis://127.0.0.1:{port}/0"
        try:
            await wait_for_redis(url)
        except EmbeddedError as exc:
            raise DevError(str(exc)) from exc
        self.sup.say(f"Redis: {url} ({choice.describe()}, data in {self.data_dir / 'redis'})")
        return url

    async def start_postgres(self, backends: Backends) -> str:
        choice = backends.postgres
        if choice.url is not None:
            self.sup.say(f"PostgreSQL: {redact_text(choice.url)} ({choice.describe()})")
            return choice.url
        pgdata = self.data_dir / "postgres"
        self.sup.say(f"starting an embedded PostgreSQL in {pgdata}")
        self.postgres = EmbeddedPostgres(pgdata)
        # Its own task, shielded: a Ctrl-C during the start must not leave a server behind
        # that shut_down cannot see; shut_down waits for the start, then stops it.
        self._postgres_start = asyncio.create_task(asyncio.to_thread(self._start_quietly))
        try:
            url = await asyncio.shield(self._postgres_start)
        except EmbeddedError as exc:
            raise DevError(str(exc)) from exc
        self.sup.say(f"PostgreSQL: {url} ({choice.describe()})")
        return url

    def _start_quietly(self) -> str:
        assert self.postgres is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR in CI
            return self.postgres.start()

    async def web_ready(self, options: DevOptions) -> bool:
        """Whether Battle Station can run: web/ exists, npm is here, its packages are in."""
        web = self.root / "web"
        if not options.web or not (web / "package.json").exists():
            return False
        if shutil.which("npm") is None:
            self.sup.say("npm not found: Battle Station is skipped (install Node.js 20+)", YELLOW)
            return False
        if not (web / "node_modules").exists():
            npm = shutil.which("npm") or "npm"
            code = await self.sup.run_to_end(
                ChildSpec("npm-ci", [npm, "ci", "--no-audit", "--no-fund"], cwd=web)
            )
            if code != 0:
                self.sup.say("npm ci failed: Battle Station is skipped", YELLOW)
                return False
        return True

    def check_ports(self, web: bool) -> None:
        wanted = [("api", self.options.api_port, "--api-port")]
        if web:
            wanted.append(("Battle Station", self.options.web_port, "--web-port"))
        for what, port, flag in wanted:
            if port_open("127.0.0.1", port):
                raise DevError(f"port {port} for the {what} is taken (another `make dev`?): {flag}")

    def banner(self, backends: Backends, coach: Coach | None, web: bool, dry_run: bool) -> None:
        options, say = self.options, self.sup.say
        api = f"http://127.0.0.1:{options.api_port}"
        line = "─" * 72
        say(line, DIM)
        mode = "dry-run Discord" if dry_run else "live Discord"
        if dry_run and options.simulate:
            mode += f", simulated clients at {options.speed or 1:g}x speed"
        say(f"MonsterCoach is running ({mode})")
        if web:
            say(f"  Battle Station  http://127.0.0.1:{options.web_port}/")
            who = f" as {coach.display_name} (Discord id {coach.discord_user_id})" if coach else ""
            say(f"  log in          click “Dev login (local only)”{who}")
        else:
            say(f"  log in          POST {api}/auth/dev-login from this machine (no web/)")
        say(f"  api             {api}/health   {api}/docs")
        say(f"  PostgreSQL      {backends.postgres.describe()}")
        say(f"  Redis           {backends.redis.describe()}")
        say("  Ctrl-C stops everything.")
        say(line, DIM)


def dev(
    api_port: Annotated[int, typer.Option(min=1, max=65535, help="The api's port.")] = 8000,
    web_port: Annotated[int, typer.Option(min=1, max=65535, help="Battle Station's port.")] = 5173,
    speed: Annotated[
        float | None,
        typer.Option(
            min=1,
            max=1440,
            help="Simulated time per real time for the simulated clients; above 1 the "
            "simulator drives the scheduler's clock ahead of real time (a throwaway "
            "database). Default: 60 on the embedded database, else 1 (real time).",
            show_default=False,
        ),
    ] = None,
    simulate: Annotated[bool, typer.Option(help="Run simulated clients (dry-run only).")] = True,
    web: Annotated[bool, typer.Option(help="Run Battle Station (needs Node.js).")] = True,
    embedded: Annotated[
        bool,
        typer.Option(help="Use embedded PostgreSQL/Redis even when the local ports answer."),
    ] = False,
    keep_going: Annotated[
        bool, typer.Option(help="When a process dies, keep the others running.")
    ] = False,
    grace: Annotated[
        float, typer.Option(min=0.5, max=120, help="Seconds from SIGTERM to SIGKILL.")
    ] = 10.0,
    raw_logs: Annotated[
        bool, typer.Option(help="Show the services' JSON log lines as they are.")
    ] = False,
    data_dir: Annotated[
        Path | None, typer.Option(help="Embedded servers' data (default: <repo>/.data).")
    ] = None,
) -> None:
    """Run the api, bot, scheduler, flag worker, simulated clients and Battle Station."""
    options = DevOptions(
        api_port=api_port,
        web_port=web_port,
        speed=speed,
        simulate=simulate,
        web=web,
        embedded=embedded,
        keep_going=keep_going,
        grace=grace,
        pretty=not raw_logs,
        data_dir=data_dir,
    )
    supervisor = Supervisor(
        sys.stdout,
        colour=use_colour(sys.stdout),
        pretty=options.pretty,
        grace=options.grace,
        keep_going=options.keep_going,
        base_env=os.environ,
    )
    code = asyncio.run(Dev(options, supervisor, project_root()).run())
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("dev")(dev)
