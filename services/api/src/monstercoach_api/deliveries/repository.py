"""All SQL of the roster-wide deliveries and missed-fires lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from ..paging import Paging, fetch_page, paged_query


@dataclass(frozen=True)
class Window:
    """Which rows: one client or all, within ``[since, until)`` when given."""

    client_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


LIST_DELIVERIES = paged_query(
    """
    SELECT d.id, d.created_at AS at, d.kind AS delivery_kind, d.status, d.text, d.attempts,
           d.last_error, d.sent_at, d.client_id, c.display_name AS client_display_name,
           d.recipient_discord_id, d.discord_message_id
    FROM deliveries AS d
    LEFT JOIN clients AS c ON c.id = d.client_id
    WHERE ($1::uuid IS NULL OR d.client_id = $1)
      AND ($2::timestamptz IS NULL OR d.created_at >= $2)
      AND ($3::timestamptz IS NULL OR d.created_at < $3)
      AND ($4::text[] IS NULL OR d.status = ANY ($4::text[]))
      AND ($5::text[] IS NULL OR d.kind = ANY ($5::text[]))
    """,
    order_by="at DESC, id",
    limit_param=6,
)

LIST_MISSED = paged_query(
    """
    SELECT f.engine || '.' || f.trigger || ':' || f.local_date AS id, f.scheduled_for AS at,
           f.engine, f.trigger, f.local_date, f.reason, f.deadline_at, f.client_id,
           c.display_name AS client_display_name
    FROM trigger_fires AS f
    JOIN clients AS c ON c.id = f.client_id
    WHERE f.status = 'missed'
      AND ($1::uuid IS NULL OR f.client_id = $1)
      AND ($2::timestamptz IS NULL OR f.scheduled_for >= $2)
      AND ($3::timestamptz IS NULL OR f.scheduled_for < $3)
      AND ($4::text IS NULL OR f.engine = $4)
      AND ($5::text IS NULL OR f.trigger = $5)
    """,
    order_by="at DESC, client_display_name, client_id, id",
    limit_param=6,
)


async def list_deliveries(
    conn: asyncpg.Connection,
    window: Window,
    statuses: list[str] | None,
    kinds: list[str] | None,
    paging: Paging,
) -> tuple[list[asyncpg.Record], int]:
    return await fetch_page(
        conn,
        LIST_DELIVERIES,
        paging,
        window.client_id,
        window.since,
        window.until,
        statuses,
        kinds,
    )


async def list_missed(
    conn: asyncpg.Connection,
    window: Window,
    engine: str | None,
    trigger: str | None,
    paging: Paging,
) -> tuple[list[asyncpg.Record], int]:
    return await fetch_page(
        conn, LIST_MISSED, paging, window.client_id, window.since, window.until, engine, trigger
    )
