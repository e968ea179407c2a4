"""All SQL of the flags domain: the api owns a flag's status and note; the flag worker's
re-runs refresh everything else (see the ingest's upsert)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from ..paging import Paging, fetch_page, paged_query

FLAG_COLUMNS = """
f.id, f.client_id, c.display_name AS client_display_name, f.iso_week, f.code, f.severity,
f.source, f.evidence, f.rationale, f.suggested_action, f.status, f.status_note, f.created_at,
f.updated_at
"""

LIST_FLAGS = paged_query(
    f"""
    SELECT {FLAG_COLUMNS},
           array_position('{{high,medium,low}}'::text[], f.severity) AS severity_rank
    FROM flags AS f
    JOIN clients AS c ON c.id = f.client_id
    WHERE ($1::text IS NULL OR f.iso_week = $1)
      AND ($2::text[] IS NULL OR f.severity = ANY ($2::text[]))
      AND ($3::text[] IS NULL OR f.status = ANY ($3::text[]))
      AND ($4::text[] IS NULL OR f.source = ANY ($4::text[]))
      AND ($5::text[] IS NULL OR f.code = ANY ($5::text[]))
      AND ($6::uuid IS NULL OR f.client_id = $6)
    """,
    order_by="severity_rank, created_at DESC, id",
    limit_param=7,
)

GET_FLAG = f"""
SELECT {FLAG_COLUMNS} FROM flags AS f JOIN clients AS c ON c.id = f.client_id WHERE f.id = $1
"""

SET_STATUS = f"""
WITH changed AS (
    UPDATE flags SET status = $2, status_note = coalesce($3, status_note), updated_at = now()
    WHERE id = $1
    RETURNING *
)
SELECT {FLAG_COLUMNS} FROM changed AS f JOIN clients AS c ON c.id = f.client_id
"""


@dataclass(frozen=True)
class FlagFilters:
    iso_week: str | None = None
    severities: list[str] | None = None
    statuses: list[str] | None = None
    sources: list[str] | None = None
    codes: list[str] | None = None
    client_id: UUID | None = None


async def list_flags(
    conn: asyncpg.Connection, filters: FlagFilters, paging: Paging
) -> tuple[list[asyncpg.Record], int]:
    return await fetch_page(
        conn,
        LIST_FLAGS,
        paging,
        filters.iso_week,
        filters.severities,
        filters.statuses,
        filters.sources,
        filters.codes,
        filters.client_id,
    )


async def get_flag(conn: asyncpg.Connection, flag_id: UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(GET_FLAG, flag_id)
    return row


async def set_status(
    conn: asyncpg.Connection, flag_id: UUID, status: str, note: str | None
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(SET_STATUS, flag_id, status, note)
    return row
