"""``monstercoach scan``: registered by the flag worker, runs a scan, fails clearly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from importlib.metadata import entry_points
from uuid import uuid4

import asyncpg
import typer
from typer.testing import CliRunner, Result

from monstercoach_cli.main import load_plugins
from monstercoach_flagworker.cli import last_completed_week
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.streams import Stream
from tests.conftest import REDIS_URL
from tests.flagworker.builders import WEEK, add_client, add_coach


def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def callback() -> None:
        """Keeps ``scan`` a subcommand, as it is in the real app."""

    load_plugins(root)
    return root


async def run_cli(database_url: str, prefix: str, *args: str) -> Result:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "MC_KEY_PREFIX": prefix,
        "COLUMNS": "200",  # no wrapping inside rich's error box
    }
    # CliRunner's asyncio.run cannot nest in the test's running loop: use a thread.
    return await asyncio.to_thread(CliRunner().invoke, app(), ["scan", *args], env=env)


def test_the_command_ships_with_the_flag_worker() -> None:
    plugins = {entry.name: entry.value for entry in entry_points(group="monstercoach.cli")}
    assert plugins["flagworker"] == "monstercoach_flagworker.cli:register"


async def test_scan_publishes_and_prints_a_summary(
    database_url: str, redis_prefix: str, pool: asyncpg.Pool, bus: StreamBus
) -> None:
    await add_client(pool, "Ghost")
    await add_coach(pool)
    result = await run_cli(database_url, redis_prefix, "--week", WEEK)
    assert result.exit_code == 0, result.output
    assert "GONE_QUIET" in result.output
    summary = " ".join(result.output.split())
    assert "1 clients scanned, 1 flagged, 3 flags published; digest sent to 1 coaches" in summary
    assert await bus.redis.xlen(bus.key(Stream.EVENTS.value)) == 3


async def test_an_invalid_week_is_a_usage_error(database_url: str, redis_prefix: str) -> None:
    result = await run_cli(database_url, redis_prefix, "--week", "2027-W53")
    assert result.exit_code == 2
    assert "2027-W53 is not a week of ISO year 2027" in result.output
    result = await run_cli(database_url, redis_prefix, "--week", "47")
    assert result.exit_code == 2
    assert "expected an ISO week such as 2026-W47" in result.output


async def test_an_unknown_client_fails_without_a_traceback(
    database_url: str, redis_prefix: str, pool: asyncpg.Pool
) -> None:
    client_id = uuid4()
    result = await run_cli(database_url, redis_prefix, "--week", WEEK, "--client", str(client_id))
    assert result.exit_code == 1
    assert f"error: no client with id {client_id}" in result.output
    assert "Traceback" not in result.output


async def test_an_unreachable_database_fails_without_a_traceback(redis_prefix: str) -> None:
    result = await run_cli("postgresql://postgres@127.0.0.1:1/nowhere", redis_prefix)
    assert result.exit_code == 1
    assert "error: scan failed:" in result.output


def test_the_default_week_is_the_last_completed_one() -> None:
    assert last_completed_week(datetime(2026, 11, 26, 8, tzinfo=UTC)) == "2026-W47"
    # Across a year boundary, into a 53-week year.
    assert last_completed_week(datetime(2027, 1, 4, 8, tzinfo=UTC)) == "2026-W53"
