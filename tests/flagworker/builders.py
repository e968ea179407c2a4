"""Hand-built rows for fixture weeks: one small insert per call, ids returned.

Only the columns a scan reads are set; timestamps default to noon UTC of the local
date because the metrics go by each table's ``local_date`` (DMs excepted: they are
dated by ``received_at`` in the client's zone, so tests pass that explicitly).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

import asyncpg

MONDAY = date(2026, 11, 16)
"""2026-W47 runs Monday 2026-11-16 to Sunday 2026-11-22."""
WEEK = "2026-W47"
AFTER_THE_WEEK = datetime(2026, 11, 24, 12, tzinfo=UTC)
"""Tuesday noon UTC: the whole week is over in every zone."""
LONG_AGO = datetime(2026, 9, 1, tzinfo=UTC)

_snowflakes = itertools.count(100_000_000_000_000_000)


def day(n: int) -> date:
    """Day ``n`` of the week (0 = Monday); negative for the week before."""
    return MONDAY + timedelta(days=n)


def noon(local_date: date) -> datetime:
    return datetime.combine(local_date, time(12), UTC)


def discord_id() -> str:
    return str(next(_snowflakes))


async def add_coach(conn: asyncpg.Pool, name: str = "Coach") -> tuple[UUID, str]:
    coach_id, snowflake = uuid.uuid4(), discord_id()
    await conn.execute(
        "INSERT INTO coaches (id, discord_user_id, display_name, time_zone) "
        "VALUES ($1, $2, $3, 'Europe/London')",
        coach_id,
        snowflake,
        name,
    )
    return coach_id, snowflake


async def add_client(
    conn: asyncpg.Pool,
    name: str,
    time_zone: str = "Europe/Berlin",
    *,
    status: str = "active",
    goal: str = "fat_loss",
    goal_weight_kg: float | None = None,
    target_kcal: int = 2000,
    target_protein_g: int = 150,
    created_at: datetime = LONG_AGO,
) -> UUID:
    client_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO clients (id, discord_user_id, display_name, time_zone, status, goal, "
        "goal_weight_kg, target_kcal, target_protein_g, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        client_id,
        discord_id(),
        name,
        time_zone,
        status,
        goal,
        goal_weight_kg,
        target_kcal,
        target_protein_g,
        created_at,
    )
    return client_id


async def add_checkin(
    conn: asyncpg.Pool, client_id: UUID, local_date: date, notes: str = ""
) -> UUID:
    row_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO checkins (id, client_id, local_date, notes, answered_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        row_id,
        client_id,
        local_date,
        notes,
        noon(local_date),
    )
    return row_id


async def add_fire(
    conn: asyncpg.Pool,
    client_id: UUID,
    local_date: date,
    status: str,
    engine: str = "checkin",
    trigger: str = "morning_prompt",
) -> str:
    await conn.execute(
        "INSERT INTO trigger_fires (engine, trigger, client_id, local_date, scheduled_for, "
        "status) VALUES ($1, $2, $3, $4, $5, $6)",
        engine,
        trigger,
        client_id,
        local_date,
        noon(local_date),
        status,
    )
    return f"{engine}/{trigger}/{local_date.isoformat()}"


async def add_fires(
    conn: asyncpg.Pool,
    client_id: UUID,
    statuses: str,
    engine: str = "checkin",
    trigger: str = "morning_prompt",
) -> None:
    """One fire a day from Monday: ``a`` answered, ``m`` missed, ``.`` no fire."""
    names = {"a": "answered", "m": "missed"}
    for n, code in enumerate(statuses):
        if code != ".":
            await add_fire(conn, client_id, day(n), names[code], engine, trigger)


async def add_card(
    conn: asyncpg.Pool, client_id: UUID, local_date: date, statuses: Sequence[str]
) -> tuple[UUID, list[UUID]]:
    card_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO job_cards (id, client_id, local_date, issued_at) VALUES ($1, $2, $3, $4)",
        card_id,
        client_id,
        local_date,
        noon(local_date),
    )
    item_ids = [uuid.uuid4() for _ in statuses]
    await conn.executemany(
        "INSERT INTO job_card_items (id, card_id, position, label, status) "
        "VALUES ($1, $2, $3, $4, $5)",
        [
            (item_id, card_id, position, f"item {position}", status)
            for position, (item_id, status) in enumerate(zip(item_ids, statuses, strict=True))
        ],
    )
    return card_id, item_ids


async def add_meal(
    conn: asyncpg.Pool,
    client_id: UUID,
    local_date: date,
    kcal: int | None,
    protein_g: int | None,
    minute: int = 0,
) -> UUID:
    row_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO meal_logs (id, client_id, local_date, description, kcal, protein_g, "
        "logged_at) VALUES ($1, $2, $3, 'meal', $4, $5, $6)",
        row_id,
        client_id,
        local_date,
        kcal,
        protein_g,
        noon(local_date) + timedelta(minutes=minute),
    )
    return row_id


async def add_weight(
    conn: asyncpg.Pool, client_id: UUID, local_date: date, kg: float, minute: int = 0
) -> UUID:
    row_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO weight_entries (id, client_id, local_date, weight_kg, measured_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        row_id,
        client_id,
        local_date,
        kg,
        noon(local_date) + timedelta(minutes=minute),
    )
    return row_id


async def add_workout(conn: asyncpg.Pool, client_id: UUID, local_date: date) -> UUID:
    row_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO workout_logs (id, client_id, local_date, description, logged_at) "
        "VALUES ($1, $2, $3, 'session', $4)",
        row_id,
        client_id,
        local_date,
        noon(local_date),
    )
    return row_id


async def add_dm(
    conn: asyncpg.Pool, client_id: UUID, received_at: datetime, text: str = "hi coach"
) -> UUID:
    row_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO direct_messages (id, client_id, discord_message_id, text, received_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        row_id,
        client_id,
        discord_id(),
        text,
        received_at,
    )
    return row_id
