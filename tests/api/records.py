"""Rows written straight into the tables, for tests of what the api reads back.

The ingest tests cover how rows get there from events; these tests only need the rows.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
"""The api's "now" in the endpoint tests (``utc_now`` is overridden to it)."""

_discord_ids = iter(range(700_000_000_000_000_001, 800_000_000_000_000_000))


async def add_client(
    conn: asyncpg.Connection,
    name: str = "Alma",
    time_zone: str = "UTC",
    status: str = "active",
    last_activity_at: datetime | None = None,
    discord_id: str | None = None,
) -> uuid.UUID:
    client_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO clients (id, discord_user_id, display_name, time_zone, status, created_at,"
        " last_activity_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        client_id,
        discord_id or str(next(_discord_ids)),
        name,
        time_zone,
        status,
        datetime(2026, 10, 1, tzinfo=UTC),
        last_activity_at,
    )
    return client_id


async def add_card(
    conn: asyncpg.Connection, client: uuid.UUID, day: date, *statuses: str, label: str = "item"
) -> uuid.UUID:
    card_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO job_cards (id, client_id, local_date, issued_at) VALUES ($1, $2, $3, $4)",
        card_id,
        client,
        day,
        AT,
    )
    await conn.executemany(
        "INSERT INTO job_card_items (id, card_id, position, label, status) "
        "VALUES ($1, $2, $3, $4, $5)",
        [(uuid.uuid4(), card_id, i, f"{label} {i}", status) for i, status in enumerate(statuses)],
    )
    return card_id


async def add_checkin(
    conn: asyncpg.Connection,
    client: uuid.UUID,
    day: date,
    *,
    weight: float | None = None,
    notes: str = "",
    at: datetime = AT,
) -> uuid.UUID:
    checkin_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO checkins (id, client_id, local_date, weight_kg, energy, notes, answered_at)"
        " VALUES ($1, $2, $3, $4, 7, $5, $6)",
        checkin_id,
        client,
        day,
        weight,
        notes,
        at,
    )
    return checkin_id


async def add_prompt(
    conn: asyncpg.Connection,
    client: uuid.UUID,
    day: date,
    status: str,
    *,
    at: datetime = AT,
    reason: str | None = None,
) -> None:
    """The check-in engine's fire for ``day`` in the scheduler's ledger."""
    await conn.execute(
        "INSERT INTO trigger_fires (engine, trigger, client_id, local_date, scheduled_for,"
        " status, reason) VALUES ('checkin', 'morning_prompt', $1, $2, $3, $4, $5)",
        client,
        day,
        at,
        status,
        reason,
    )


async def add_row(conn: asyncpg.Connection, table: str, **values: Any) -> uuid.UUID:
    """One row of ``table`` with a fresh ``id`` (tables with a uuid key)."""
    values = {"id": uuid.uuid4(), **values}
    columns = ", ".join(values)
    placeholders = ", ".join(f"${n}" for n in range(1, len(values) + 1))
    await conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", *values.values())
    row_id: uuid.UUID = values["id"]
    return row_id


async def add_flag(
    conn: asyncpg.Connection,
    client: uuid.UUID,
    severity: str = "medium",
    *,
    code: str = "LOW_CHECKIN_RATE",
    status: str = "open",
    iso_week: str = "2026-W48",
    source: str = "rules",
    at: datetime = AT,
) -> uuid.UUID:
    return await add_row(
        conn,
        "flags",
        client_id=client,
        iso_week=iso_week,
        code=code,
        severity=severity,
        source=source,
        status=status,
        evidence=[{"label": "check-in rate", "value": 0.3, "target": 0.8, "refs": []}],
        rationale="Checked in 2 of 7 days.",
        created_at=at,
    )
