"""``monstercoach tick --at`` and ``monstercoach schedule``; a tick with PostgreSQL down."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from click.testing import Result
from typer.testing import CliRunner

from monstercoach_cli.main import app, load_plugins
from monstercoach_kit.bus import StreamBus
from monstercoach_kit.db import create_pool
from monstercoach_kit.settings import KitSettings
from monstercoach_scheduler import service
from monstercoach_scheduler.settings import SchedulerSettings
from monstercoach_scheduler.tick import Ticker
from tests.conftest import REDIS_URL

from .conftest import AddClient, read_stream

runner = CliRunner()
load_plugins(app)


async def invoke(args: list[str], env: dict[str, str]) -> Result:
    # The commands run their own event loop (asyncio.run), so not on the test's loop.
    return await asyncio.to_thread(runner.invoke, app, args, env=env)


@pytest.fixture
def env(database_url: str, redis_prefix: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "MC_KEY_PREFIX": redis_prefix,
        "SCHEDULER_RESYNC_LAG_SECONDS": "0",
        "COLUMNS": "200",  # rich wraps tables to the terminal width
    }


async def test_tick_at_runs_one_tick_as_of_that_time(
    add_client: AddClient, env: dict[str, str], bus: StreamBus
) -> None:
    await add_client("Asia/Kolkata")  # UTC+05:30
    first = await invoke(["tick", "--at", "2026-11-26T01:00:00Z"], env)
    assert first.exit_code == 0, first.output
    result = await invoke(["tick", "--at", "2026-11-26T01:30:00+00:00"], env)
    assert result.exit_code == 0, result.output
    assert "fired" in result.output
    [card] = await read_stream(bus, "deliveries")
    assert card.payload.fire is not None  # type: ignore[union-attr]
    assert card.payload.fire.trigger == "morning_card"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "message"), [("tomorrow", "not an ISO 8601 time"), ("2026-11-26T07:00", "offset")]
)
def test_tick_at_refuses_a_vague_time(env: dict[str, str], value: str, message: str) -> None:
    result = runner.invoke(app, ["tick", "--at", value], env=env)
    assert result.exit_code == 2
    assert message in result.output


async def test_schedule_prints_next_fires_in_local_time_and_utc(
    add_client: AddClient, env: dict[str, str], pool: asyncpg.Pool
) -> None:
    client = await add_client("Australia/Adelaide")
    await pool.execute(
        "INSERT INTO schedule_overrides (client_id, engine, trigger, enabled) "
        "VALUES ($1, 'meals', 'lunch_reminder', false)",
        client,
    )
    result = await invoke(["schedule", str(client)], env)
    assert result.exit_code == 0, result.output
    assert "Australia/Adelaide" in result.output
    assert "jobcard.morning_card" in result.output
    assert "07:00 ACDT" in result.output or "07:00 ACST" in result.output
    assert "UTC" in result.output
    assert "off" in result.output  # the switched-off lunch reminder


def test_schedule_of_an_unknown_client_is_a_clear_error(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["schedule", str(uuid.uuid4())], env=env)
    assert result.exit_code == 2
    assert "no client" in result.output


async def test_a_tick_without_postgresql_logs_and_waits_for_the_next_minute(
    bus: StreamBus,
) -> None:
    dead = KitSettings(DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere")
    pool = await create_pool(dead, min_size=0)
    try:
        ticker = Ticker(pool, bus, SchedulerSettings(), "UTC")
        failures = service.TICK_FAILURES._value.get()
        scheduler = service.build_scheduler(ticker)
        [job] = [job for job in scheduler.get_jobs() if job.id == "tick"]
        await job.func()  # what APScheduler runs each minute: must not raise
        assert service.TICK_FAILURES._value.get() == failures + 1
    finally:
        await pool.close()


def test_an_empty_coach_zone_from_env_example_means_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCHEDULER_COACH_TIME_ZONE", "")
    assert SchedulerSettings().coach_time_zone is None
    monkeypatch.setenv("SCHEDULER_COACH_TIME_ZONE", "Mars/Base")
    with pytest.raises(ValueError, match="time zone"):
        SchedulerSettings()


async def test_the_hourly_job_purges_idempotency_keys_past_their_retention(
    pool: asyncpg.Pool, bus: StreamBus
) -> None:
    await pool.execute(
        "INSERT INTO processed_messages (scope, idempotency_key, processed_at) VALUES "
        "('api.ingest', 'kept', now() - interval '6 days'), "
        "('api.ingest', 'expired', now() - interval '8 days')"
    )
    ticker = Ticker(pool, bus, SchedulerSettings(processed_retention_days=7), "UTC")
    [job] = [job for job in service.build_scheduler(ticker).get_jobs() if job.id == "purge-keys"]
    await job.func()
    left = await pool.fetch("SELECT idempotency_key FROM processed_messages")
    assert [row[0] for row in left] == ["kept"]


async def test_the_purge_without_postgresql_waits_for_the_next_hour(bus: StreamBus) -> None:
    dead = KitSettings(DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere")
    pool = await create_pool(dead, min_size=0)
    try:
        await service.purge_old_keys(pool, SchedulerSettings().processed_retention)  # no raise
    finally:
        await pool.close()
