"""All SQL of the schedule domain: the api writes ``schedule_overrides`` and only reads
the scheduler's ``next_fires``."""

from __future__ import annotations

from datetime import datetime, time
from uuid import UUID

import asyncpg

from ..paging import Paging, fetch_page, paged_query

OVERRIDE_COLUMNS = "engine, trigger, enabled, local_time, weekdays, updated_at"

SELECT_OVERRIDES = f"SELECT {OVERRIDE_COLUMNS} FROM schedule_overrides WHERE client_id = $1"

UPSERT_OVERRIDE = f"""
INSERT INTO schedule_overrides (client_id, engine, trigger, enabled, local_time, weekdays)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (client_id, engine, trigger) DO UPDATE SET
    enabled = EXCLUDED.enabled, local_time = EXCLUDED.local_time, weekdays = EXCLUDED.weekdays
RETURNING {OVERRIDE_COLUMNS}
"""

DELETE_OVERRIDE = f"""
DELETE FROM schedule_overrides WHERE client_id = $1 AND engine = $2 AND trigger = $3
RETURNING {OVERRIDE_COLUMNS}
"""

UPCOMING = paged_query(
    """
    SELECT nf.client_id, c.display_name, c.time_zone, nf.engine, nf.trigger, nf.fire_at AS at,
           nf.local_date
    FROM next_fires AS nf
    -- The scheduler only fires for active clients, whatever its plan still holds.
    JOIN clients AS c ON c.id = nf.client_id AND c.status = 'active'
    WHERE nf.fire_at >= $1
      AND ($2::uuid IS NULL OR nf.client_id = $2)
      AND ($3::text IS NULL OR nf.engine = $3)
      AND ($4::text IS NULL OR nf.trigger = $4)
    """,
    order_by="at, display_name, client_id, engine, trigger",
    limit_param=5,
)


async def overrides(
    conn: asyncpg.Connection, client_id: UUID
) -> dict[tuple[str, str], asyncpg.Record]:
    rows = await conn.fetch(SELECT_OVERRIDES, client_id)
    return {(row["engine"], row["trigger"]): row for row in rows}


async def put_override(
    conn: asyncpg.Connection,
    client_id: UUID,
    engine: str,
    trigger: str,
    enabled: bool,
    local_time: time | None,
    weekdays: list[str] | None,
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        UPSERT_OVERRIDE, client_id, engine, trigger, enabled, local_time, weekdays
    )
    return row


async def delete_override(
    conn: asyncpg.Connection, client_id: UUID, engine: str, trigger: str
) -> asyncpg.Record | None:
    """The removed override, or ``None`` when there was none."""
    row: asyncpg.Record | None = await conn.fetchrow(DELETE_OVERRIDE, client_id, engine, trigger)
    return row


async def upcoming(
    conn: asyncpg.Connection,
    after: datetime,
    client_id: UUID | None,
    engine: str | None,
    trigger: str | None,
    paging: Paging,
) -> tuple[list[asyncpg.Record], int]:
    return await fetch_page(conn, UPCOMING, paging, after, client_id, engine, trigger)
