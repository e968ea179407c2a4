"""``monstercoach migrate``: creates what is missing, and a second run changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from typer.testing import CliRunner

from monstercoach_cli.main import app
from monstercoach_kit.migrate import downgrade, upgrade
from tests.conftest import _admin, _database_url

runner = CliRunner()


@contextmanager
def _throwaway_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _database_url(name)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _schema_fingerprint(url: str, with_version: bool = True) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name <> 'alembic_version' ORDER BY 1, 2"
        )
        versions = (
            [("alembic_version", await conn.fetchval("SELECT version_num FROM alembic_version"))]
            if with_version
            else []
        )
    finally:
        await conn.close()
    return [(r[0], r[1]) for r in rows] + versions


def test_migrate_creates_the_database_and_is_a_no_op_the_second_time() -> None:
    name = f"mc_test_migrate_{uuid.uuid4().hex[:8]}"
    url = _database_url(name)
    try:
        first = runner.invoke(app, ["migrate"], env={"DATABASE_URL": url})
        assert first.exit_code == 0, first.output
        assert "created the database" in first.output
        after_first = asyncio.run(_schema_fingerprint(url))
        assert ("clients", "time_zone") in after_first

        second = runner.invoke(app, ["migrate"], env={"DATABASE_URL": url})
        assert second.exit_code == 0, second.output
        assert "created the database" not in second.output
        assert asyncio.run(_schema_fingerprint(url)) == after_first
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_migrate_reports_an_unreachable_server_without_a_traceback() -> None:
    result = runner.invoke(
        app, ["migrate"], env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"}
    )
    assert result.exit_code == 1
    assert "cannot reach PostgreSQL" in result.output
    assert "Traceback" not in result.output


def test_every_migration_downgrades_cleanly_and_upgrades_again() -> None:
    with _throwaway_database("mc_test_roundtrip") as url:
        upgrade(url)
        migrated = asyncio.run(_schema_fingerprint(url))
        downgrade(url, "base")
        assert asyncio.run(_schema_fingerprint(url, with_version=False)) == []
        upgrade(url)
        assert asyncio.run(_schema_fingerprint(url)) == migrated


async def _add_client(url: str, name: str, discord_id: str) -> uuid.UUID:
    conn = await asyncpg.connect(url)
    try:
        client = uuid.uuid4()
        await conn.execute(
            "INSERT INTO clients (id, discord_user_id, display_name, time_zone)"
            " VALUES ($1, $2, $3, 'UTC')",
            client,
            discord_id,
            name,
        )
        return client
    finally:
        await conn.close()


async def _seed_weeks(url: str) -> uuid.UUID:
    """A client with a stored week and rate, as the api's refresh writes them."""
    client = await _add_client(url, "Busy", "700000000000000001")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO client_weeks (client_id, local_date, due, done, days)"
            " VALUES ($1, '2026-11-26', 8, 2, '[]')",
            client,
        )
        await conn.execute("UPDATE roster_keys SET rate = 0.25 WHERE client_id = $1", client)
        await conn.execute("INSERT INTO client_rates_state (computed_at) VALUES (now())")
    finally:
        await conn.close()
    return client


async def _fetch(url: str, sql: str) -> list[tuple[object, ...]]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


def test_the_stored_weeks_come_and_go_without_the_ranking() -> None:
    with _throwaway_database("mc_test_weeks") as url:
        upgrade(url)
        client = asyncio.run(_seed_weeks(url))
        downgrade(url, "0004")
        assert asyncio.run(_fetch(url, "SELECT to_regclass('client_weeks')")) == [(None,)]
        ranking = "SELECT client_id, rate FROM client_rates"
        assert asyncio.run(_fetch(url, ranking)) == [(client, 0.25)]
        upgrade(url, "0005")
        # The weeks come back empty; rows compute theirs until the api's next refresh.
        assert asyncio.run(_fetch(url, "SELECT * FROM client_weeks")) == []
        assert asyncio.run(_fetch(url, ranking)) == [(client, 0.25)]


def test_the_roster_keys_cover_every_client_and_give_back_only_the_rates() -> None:
    keys = "SELECT client_id, name_key, rate FROM roster_keys ORDER BY name_key"
    with _throwaway_database("mc_test_keys") as url:
        upgrade(url, "0005")
        rated = asyncio.run(_add_client(url, "Busy Bee", "700000000000000001"))
        unrated = asyncio.run(_add_client(url, "Quiet Owl", "700000000000000002"))
        asyncio.run(
            _fetch(url, f"INSERT INTO client_rates (client_id, rate) VALUES ('{rated}', 0.25)")
        )
        upgrade(url)
        # Every client, the one without a rate too, with the name key for the sorts.
        assert asyncio.run(_fetch(url, keys)) == [
            (rated, "busy bee", 0.25),
            (unrated, "quiet owl", None),
        ]
        downgrade(url, "0005")
        # client_rates again: only the clients with a rate.
        ranking = "SELECT client_id, rate FROM client_rates"
        assert asyncio.run(_fetch(url, ranking)) == [(rated, 0.25)]


def test_the_flag_counts_start_from_the_flags_already_raised() -> None:
    counts = "SELECT flags_high, flags_medium, flags_low FROM roster_keys"
    with _throwaway_database("mc_test_flag_counts") as url:
        upgrade(url, "0006")
        client = asyncio.run(_add_client(url, "Busy Bee", "700000000000000001"))
        for code, severity, status in [
            ("GONE_QUIET", "high", "open"),
            ("PROTEIN_SHORT", "low", "acknowledged"),
            ("LOW_CHECKIN_RATE", "medium", "resolved"),
        ]:
            asyncio.run(
                _fetch(
                    url,
                    "INSERT INTO flags (id, client_id, iso_week, code, severity, source, status)"
                    f" VALUES (gen_random_uuid(), '{client}', '2026-W48', '{code}',"
                    f" '{severity}', 'rules', '{status}')",
                )
            )
        upgrade(url)
        assert asyncio.run(_fetch(url, counts)) == [(1, 0, 1)]
        downgrade(url, "0006")
        columns = (
            "SELECT column_name FROM information_schema.columns WHERE column_name LIKE 'flags_%'"
        )
        assert asyncio.run(_fetch(url, columns)) == []


def test_the_roster_total_starts_from_the_clients_already_there() -> None:
    with _throwaway_database("mc_test_roster_total") as url:
        upgrade(url, "0007")
        for n in range(2):
            asyncio.run(_add_client(url, f"Client {n}", f"70000000000000000{n}"))
        upgrade(url)
        assert asyncio.run(_fetch(url, "SELECT clients FROM roster_total")) == [(2,)]
        downgrade(url, "0007")
        assert asyncio.run(_fetch(url, "SELECT to_regclass('roster_total')")) == [(None,)]
        # Without the triggers, clients come and go as before.
        asyncio.run(_fetch(url, "DELETE FROM clients"))
