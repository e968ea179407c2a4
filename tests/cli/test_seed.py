"""``monstercoach seed-demo``: the pure row builder, then the command against PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import uuid
import zoneinfo
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
import pytest
import typer
from typer.testing import CliRunner, Result

from monstercoach_cli import seed
from monstercoach_cli.seed import HISTORY_DAYS, PERSONAS, TRIGGERS, DemoData, Pattern, build_demo
from monstercoach_schemas import domain
from monstercoach_schemas.lst.base import ClientLocalTime
from monstercoach_schemas.lst.registry import all_triggers

# Covers Europe's spring-forward (29 March) and Australia/NZ's fall-back (5 April).
NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return build_demo(NOW)


def window(time_zone: str, now: datetime = NOW) -> tuple[date, date]:
    """First and last local date of a client's history: 28 days ending yesterday."""
    today = now.astimezone(zoneinfo.ZoneInfo(time_zone)).date()
    return today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1)


def by_client(rows: list[Any]) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.client_id].append(row)
    return grouped


def fields_of(row: Any, *drop: str) -> dict[str, Any]:
    """A row as model keyword arguments, minus the columns the model does not carry."""
    return {k: v for k, v in row._asdict().items() if k not in drop}


def persona_client(demo: DemoData, pattern: Pattern) -> list[seed.ClientRow]:
    names = {p.name for p in PERSONAS if p.pattern is pattern}
    return [c for c in demo.clients if c.display_name in names]


# --- pure: build_demo -----------------------------------------------------------------


def test_one_coach_and_25_clients_across_the_world(demo: DemoData) -> None:
    assert len(demo.coaches) == 1
    assert len(demo.clients) == 25
    zones = {c.time_zone for c in demo.clients}
    assert zones <= zoneinfo.available_timezones()
    for required in ("Pacific/Kiritimati", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns"):
        assert required in zones
    offsets = {NOW.astimezone(zoneinfo.ZoneInfo(z)).utcoffset() or timedelta() for z in zones}
    assert len(offsets) >= 18
    assert max(offsets) == timedelta(hours=14)
    assert min(offsets) <= timedelta(hours=-11)
    ids = [c.discord_user_id for c in demo.clients] + [demo.coaches[0].discord_user_id]
    assert all(re.fullmatch(r"[0-9]{18}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    statuses = [c.status for c in demo.clients]
    assert 1 <= statuses.count("paused") <= 2
    assert statuses.count("active") == 25 - statuses.count("paused")


def test_history_is_four_weeks_ending_yesterday_local(demo: DemoData) -> None:
    checkins, cards = by_client(demo.checkins), by_client(demo.job_cards)
    dated: list[Any] = [*demo.checkins, *demo.meal_logs, *demo.workout_logs, *demo.weight_entries]
    for client in demo.clients:
        first, last = window(client.time_zone)
        dates = [r.local_date for r in dated if r.client_id == client.id]
        assert min(dates) >= first, client.display_name
        assert max(dates) <= last, client.display_name
        card_dates = sorted(card.local_date for card in cards[client.id])
        if client.status == "active":
            # The scheduler issues a card every day, answered or not.
            assert card_dates == [first + timedelta(days=n) for n in range(HISTORY_DAYS)]
    for client in persona_client(demo, Pattern.CONSISTENT):
        days = {c.local_date for c in checkins[client.id]}
        first, last = window(client.time_zone)
        assert len(days) >= 22
        assert min(days) <= first + timedelta(days=3)
        assert max(days) >= last - timedelta(days=3)


def test_every_row_fits_the_domain_models(demo: DemoData) -> None:
    """The shared schemas' bounds (weight, sleep, energy, kcal, text lengths, offsets)."""
    for c in demo.clients:
        targets = domain.Targets(
            kcal=c.target_kcal,
            protein_g=c.target_protein_g,
            carbs_g=c.target_carbs_g,
            fat_g=c.target_fat_g,
            steps=c.target_steps,
            water_ml=c.target_water_ml,
            training_days=c.training_days,
        )
        domain.Client(
            id=c.id,
            discord_user_id=c.discord_user_id,
            display_name=c.display_name,
            time_zone=c.time_zone,
            status=c.status,
            goal=c.goal,
            goal_weight_kg=c.goal_weight_kg,
            targets=targets,
            created_at=c.created_at,
        )
        # Macros add up to the calorie target, give or take rounding.
        assert (
            abs(4 * (c.target_protein_g + c.target_carbs_g) + 9 * c.target_fat_g - c.target_kcal)
            < 15
        )
    for checkin in demo.checkins:
        domain.CheckIn(**fields_of(checkin))
    for meal in demo.meal_logs:
        domain.MealLog(**fields_of(meal, "local_date"))
    for workout in demo.workout_logs:
        domain.WorkoutLog(**fields_of(workout, "local_date"))
    for entry in demo.weight_entries:
        domain.WeightEntry(**fields_of(entry, "local_date"))
    items = defaultdict(list)
    for item in demo.job_card_items:
        items[item.card_id].append(domain.JobCardItem(**fields_of(item, "card_id")))
    for card in demo.job_cards:
        domain.JobCard(**fields_of(card), items=items[card.id])
        assert 3 <= len(items[card.id]) <= 5
    for delivery in demo.deliveries:
        domain.Delivery(**fields_of(delivery, "updated_at", "discord_message_id"))
    for fire in demo.trigger_fires:
        domain.TriggerFire(**fields_of(fire, "enqueued_at"))
    for flag in demo.flags:
        domain.Flag(**fields_of(flag, "updated_at", "status_note"))
    for dm in demo.direct_messages:
        domain.DirectMessage(**fields_of(dm, "discord_message_id"))
    # Nothing happens in the future.
    stamps = [r.answered_at for r in demo.checkins] + [r.logged_at for r in demo.meal_logs]
    stamps += [r.updated_at for r in demo.job_card_items if r.updated_at]
    stamps += [r.created_at for r in demo.deliveries] + [r.created_at for r in demo.flags]
    assert max(stamps) <= NOW


def test_building_is_deterministic_and_ids_are_stable_across_days(demo: DemoData) -> None:
    assert build_demo(NOW) == demo
    tomorrow = build_demo(NOW + timedelta(days=1))
    assert [c.id for c in tomorrow.clients] == [c.id for c in demo.clients]
    assert [c.discord_user_id for c in tomorrow.clients] == [
        c.discord_user_id for c in demo.clients
    ]
    with pytest.raises(ValueError, match="timezone-aware"):
        build_demo(datetime(2026, 4, 10, 12, 0))


def test_personas_behave_as_written(demo: DemoData) -> None:
    checkins, meals = by_client(demo.checkins), by_client(demo.meal_logs)
    cards = {card.id: card for card in demo.job_cards}
    for client in persona_client(demo, Pattern.SLIPPING):
        first, last = window(client.time_zone)
        days = [c.local_date for c in checkins[client.id]]
        assert not [d for d in days if d > last - timedelta(days=6)], "check-ins stop in week 4"
        assert len([d for d in days if d < first + timedelta(days=14)]) >= 10
        week4 = [
            i
            for i in demo.job_card_items
            if cards[i.card_id].client_id == client.id
            and cards[i.card_id].local_date > last - timedelta(days=6)
        ]
        assert sum(i.status == "missed" for i in week4) > len(week4) / 2
    (recon,) = persona_client(demo, Pattern.RECON)
    assert any("hit my macros" in c.notes for c in checkins[recon.id])
    logged_days = {m.local_date for m in meals[recon.id]}
    assert sum(m.kcal or 0 for m in meals[recon.id]) / len(logged_days) > 1.3 * recon.target_kcal
    (quiet,) = persona_client(demo, Pattern.GONE_QUIET)
    assert quiet.last_activity_at is not None
    assert quiet.last_activity_at < NOW - timedelta(days=9)
    (blocked,) = persona_client(demo, Pattern.BLOCKED)
    refused = [d for d in demo.deliveries if d.client_id == blocked.id and d.status == "missed"]
    assert len(refused) > 30
    assert {d.last_error for d in refused} == {"50007 cannot send messages to this user"}
    assert {d.status for d in demo.deliveries} == {"sent", "missed", "dry_run"}
    assert {f.status for f in demo.trigger_fires} == {"answered", "missed", "enqueued"}
    assert {i.status for i in demo.job_card_items} == {"done", "skipped", "missed"}
    photos = [m.photo_url for m in demo.meal_logs if m.photo_url]
    assert photos
    assert all(
        re.fullmatch(r"https://cdn\.example\.com/meals/[0-9a-f]{16}\.jpg", p) for p in photos
    )
    codes = {f.code for f in demo.flags}
    assert {"RECON_NUTRITION", "GONE_QUIET", "LOW_CHECKIN_RATE", "DELIVERY_BLOCKED"} <= codes


# --- the command, against the session's throwaway database --------------------------


def invoke(url: str, *args: str) -> Result:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Keeps ``seed-demo`` a subcommand, as it is in the real app."""

    seed.register(app)
    return CliRunner().invoke(app, ["seed-demo", *args], env={"DATABASE_URL": url})


async def run_cli(url: str, *args: str) -> Result:
    # CliRunner's asyncio.run cannot nest in the test's running loop: use a thread.
    return await asyncio.to_thread(invoke, url, *args)


def flat(text: str) -> str:
    """Rich wraps long lines to the terminal width; compare without the wrapping."""
    return " ".join(text.split())


async def snapshot(pool: asyncpg.Pool) -> dict[str, tuple[int, str]]:
    """Row count and a checksum per table, including xmin: any rewrite of a row shows."""
    result = {}
    async with pool.acquire() as conn:
        for table in seed.TABLE_NAMES:
            count, digest = await conn.fetchrow(
                f"SELECT count(*), md5(coalesce(string_agg(t::text || '@' || t.xmin::text, ',' "
                f"ORDER BY t::text), '')) FROM {table} AS t"
            )
            result[table] = (count, digest)
    return result


async def test_seed_writes_the_demo_once(database_url: str, pool: asyncpg.Pool) -> None:
    first = await run_cli(database_url)
    assert first.exit_code == 0, first.output
    assert "demo data written" in first.output
    state = await snapshot(pool)
    assert state["coaches"][0] == 1
    assert state["clients"][0] == 25
    async with pool.acquire() as conn:
        spans = await conn.fetch(
            "SELECT c.time_zone, min(j.local_date) AS first, max(j.local_date) AS last, "
            "count(*) AS days FROM clients c JOIN job_cards j ON j.client_id = c.id "
            "WHERE c.status = 'active' GROUP BY c.id"
        )
    for row in spans:
        assert row["days"] == HISTORY_DAYS
        assert (row["last"] - row["first"]).days == HISTORY_DAYS - 1
        # Yesterday in the client's zone (allowing for a midnight passing during the test).
        today = datetime.now(UTC).astimezone(zoneinfo.ZoneInfo(row["time_zone"])).date()
        assert today - timedelta(days=2) <= row["last"] <= today - timedelta(days=1)

    second = await run_cli(database_url)
    assert second.exit_code == 0, second.output
    assert "already present" in second.output
    assert await snapshot(pool) == state


async def test_reset_reseeds(database_url: str, pool: asyncpg.Pool) -> None:
    assert (await run_cli(database_url)).exit_code == 0
    before = await snapshot(pool)
    async with pool.acquire() as conn:
        await conn.execute(
            "DELETE FROM checkins WHERE local_date = (SELECT min(local_date) FROM checkins)"
        )
        await conn.execute("UPDATE clients SET display_name = 'renamed'")
    result = await run_cli(database_url, "--reset")
    assert result.exit_code == 0, result.output
    after = await snapshot(pool)
    # Same rows again (checksums differ only through xmin, i.e. freshly written rows).
    assert {t: n for t, (n, _) in after.items()} == {t: n for t, (n, _) in before.items()}
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM clients WHERE display_name = 'renamed'") == 0
        )


def test_unreachable_database_exits_1_without_traceback() -> None:
    result = invoke("postgresql://postgres:s3cret@127.0.0.1:1/nowhere")
    assert result.exit_code == 1
    assert "cannot connect to PostgreSQL" in flat(result.output)
    assert "Traceback" not in result.output
    assert "s3cret" not in result.output


async def test_unmigrated_database_says_run_migrate(database_url: str) -> None:
    name = f"mc_empty_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        empty_url = database_url.rpartition("/")[0] + f"/{name}"
        result = await run_cli(empty_url)
        assert result.exit_code == 1
        assert "run `monstercoach migrate`" in flat(result.output)
        assert "Traceback" not in result.output
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def test_demo_ledger_uses_the_scheduler_default_triggers() -> None:
    """The seeded fire ledger must speak the LST's language: same ids, same times."""
    declared = {(t.engine, t.trigger): t for t in all_triggers()}
    for seeded in TRIGGERS:
        trigger = declared[(seeded.engine, seeded.trigger)]
        assert isinstance(trigger.when, ClientLocalTime)
        assert trigger.when.at.hour * 60 + trigger.when.at.minute == seeded.at
        # Same answer window: a deadline exactly where the LST has one.
        if trigger.deadline is None:
            assert seeded.deadline is None
        else:
            assert isinstance(trigger.deadline, time)
            assert trigger.deadline.hour * 60 + trigger.deadline.minute == seeded.deadline
