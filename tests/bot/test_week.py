"""``/week``: the client's last 7 days, read from what the api recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg

from monstercoach_bot.features.common import NOT_ONBOARDED
from tests.bot.harness import EPHEMERAL, Harness, add_card, add_client, discord_user

CLIENT = discord_user(6)
NOW = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # Thu 26 Nov in Berlin
TODAY = date(2026, 11, 26)


def day(n: int) -> date:
    return TODAY - timedelta(days=n)


async def log_week(pool: asyncpg.Pool, client_id: uuid.UUID) -> None:
    at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    # Check-ins on 5 of the 7 days (plus one 8 days ago and one today, outside the week).
    await pool.executemany(
        "INSERT INTO checkins (id, client_id, local_date, answered_at) VALUES ($1, $2, $3, $4)",
        [(uuid.uuid4(), client_id, day(n), at) for n in (0, 1, 2, 3, 5, 7, 8)],
    )
    await pool.executemany(
        "INSERT INTO weight_entries (id, client_id, local_date, weight_kg, measured_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        [
            (uuid.uuid4(), client_id, day(7), 84.0, at - timedelta(days=1)),
            (uuid.uuid4(), client_id, day(3), 83.6, at),
            (uuid.uuid4(), client_id, day(1), 83.2, at + timedelta(days=4)),
        ],
    )
    meals = [
        (day(6), 1200, 80),
        (day(6), 800, 60),
        (day(5), 2400, 160),
        (day(4), None, None),  # logged without figures: a meal day, not a kcal day
        (day(0), 600, 40),  # today: not in the week's average
    ]
    await pool.executemany(
        "INSERT INTO meal_logs (id, client_id, local_date, description, kcal, protein_g, "
        "logged_at) VALUES ($1, $2, $3, 'food', $4, $5, $6)",
        [(uuid.uuid4(), client_id, d, kcal, protein, at) for d, kcal, protein in meals],
    )
    await add_card(pool, client_id, day(2), statuses=["done", "done", "skipped"])
    await add_card(pool, client_id, day(1), statuses=["done", "missed", "missed"])
    await add_card(pool, client_id, day(0), statuses=["done", "pending", "pending"])


async def test_the_week_at_a_glance(harness: Harness) -> None:
    client_id = await add_client(harness.services.pool, CLIENT)
    await log_week(harness.services.pool, client_id)
    harness.at(NOW)
    _, answer = await harness.slash(CLIENT, "week")
    assert answer["data"]["flags"] & EPHEMERAL
    assert answer["data"]["content"].splitlines() == [
        "📊 **Your last 7 days** (Thu 19 Nov to Wed 25 Nov)",
        "Check-ins: 5/7.",
        "Job card: 3/6 done (50%).",
        "Food: meals on 3/7 days · avg 2,200 kcal/day vs 2,200 target · "
        "protein avg 150 g vs 150 g.",
        "Weight: 84 → 83.2 kg (-0.8 kg), heading the right way ✅.",
        "**Today so far:** check-in ✅ · card 1/3 · 600 kcal logged",
    ]


async def test_an_empty_week_says_what_to_do(harness: Harness) -> None:
    await add_client(harness.services.pool, CLIENT, status="paused")
    harness.at(NOW)
    _, answer = await harness.slash(CLIENT, "week")
    content = answer["data"]["content"]
    assert "Check-ins: 0/7." in content
    assert "no meals logged — **/meal**" in content
    assert "no weigh-ins" in content
    assert "Your coaching is paused" in content


async def test_someone_not_onboarded(harness: Harness) -> None:
    _, answer = await harness.slash(CLIENT, "week")
    assert answer["data"]["content"] == NOT_ONBOARDED
