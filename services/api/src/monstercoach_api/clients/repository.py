"""All SQL of the clients domain: the roster page, summaries, profiles, status.

The roster is built in two steps so its cost follows the page, not the roster: one
statement filters, sorts and cuts the page (returning only ids and the total), then the
page's rows get their figures set-based for those ids alone. Only the compliance sort
needs a figure for every matching client before it can cut the page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from uuid import UUID

import asyncpg

from ..errors import ApiError
from ..paging import PagedQuery, Paging, fetch_page, paged_query
from .schemas import RosterSort, SortOrder


@dataclass(frozen=True)
class RosterFilters:
    statuses: list[str] | None = None
    time_zones: list[str] | None = None
    search: str | None = None
    flag_severities: list[str] | None = None


def _like_escaped(text: str) -> str:
    # The coach types a name, not a pattern: % and _ match themselves.
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- the page ---------------------------------------------------------------------------------

FILTER_PARAMS = 5
_FILTERS = """
WHERE ($1::text[] IS NULL OR c.status = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR c.time_zone = ANY ($2::text[]))
  AND ($3::text IS NULL OR c.display_name ILIKE $3 OR c.discord_user_id LIKE $4)
  AND ($5::text[] IS NULL OR EXISTS (
        SELECT 1 FROM flags AS f
        WHERE f.client_id = c.id AND f.status <> 'resolved' AND f.severity = ANY ($5::text[])))
"""

FLAG_COUNTS = """
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE f.severity = 'high') AS high,
           count(*) FILTER (WHERE f.severity = 'medium') AS medium,
           count(*) FILTER (WHERE f.severity = 'low') AS low
    FROM flags AS f
    WHERE f.client_id = c.id AND f.status <> 'resolved'
) AS fl ON true
"""
"""Unresolved flags by severity for the client aliased ``c``: a lookup per client (index
on client_id), for a page of rows."""


@dataclass(frozen=True)
class _Sort:
    join: str = ""
    """Joined onto the client ``c``."""
    columns: str = ""
    """What the join adds to each row, for ``key``."""
    key: str = ""
    """The sort key over the row's columns; ``{dir}`` is filled in."""
    params: int = 0
    """Parameters the join takes, after the filters'."""


_SORTS: dict[RosterSort, _Sort] = {
    RosterSort.NAME: _Sort(key="lower(display_name) {dir}"),
    # Never active counts as the longest silence.
    RosterSort.LAST_ACTIVITY: _Sort(key="coalesce(last_activity_at, '-infinity') {dir}"),
    RosterSort.OPEN_FLAGS: _Sort(
        # Grouped once rather than FLAG_COUNTS' lookup per client: every client is sorted.
        join="""
        LEFT JOIN (
            SELECT f.client_id,
                   count(*) FILTER (WHERE f.severity = 'high') AS high,
                   count(*) FILTER (WHERE f.severity = 'medium') AS medium,
                   count(*) FILTER (WHERE f.severity = 'low') AS low
            FROM flags AS f
            WHERE f.status <> 'resolved'
            GROUP BY f.client_id
        ) AS fl ON fl.client_id = c.id
        """,
        columns=", coalesce(fl.high, 0) AS high, coalesce(fl.medium, 0) AS medium,"
        " coalesce(fl.low, 0) AS low",
        key="high {dir}, medium {dir}, low {dir}",
    ),
    RosterSort.COMPLIANCE_7D: _Sort(
        # Every client's rate, from ranking.py; a client left out has no rate.
        join="LEFT JOIN unnest($6::uuid[], $7::float8[]) AS w (client_id, rate)"
        " ON w.client_id = c.id",
        columns=", w.rate",
        # Nothing due is no evidence either way: last in both directions.
        key="rate {dir} NULLS LAST",
        params=2,
    ),
}


@lru_cache(maxsize=len(_SORTS) * len(SortOrder))
def roster_page_query(sort: RosterSort, order: SortOrder) -> PagedQuery:
    """The page and count statements for one sort: built from the constants above only."""
    chosen = _SORTS[sort]
    direction = "ASC" if order is SortOrder.ASC else "DESC"
    paged = paged_query(
        f"""
        SELECT c.id, c.display_name, c.last_activity_at{chosen.columns}
        FROM clients AS c
        {chosen.join}
        {_FILTERS}
        """,
        order_by=f"{chosen.key.format(dir=direction)}, lower(display_name), id",
        limit_param=FILTER_PARAMS + 1 + chosen.params,
    )
    # The count needs the filters only, not what the sort joins in.
    return replace(
        paged,
        count=f"SELECT count(*) FROM clients AS c {_FILTERS}",
        count_args=FILTER_PARAMS,
    )


async def roster_page(
    conn: asyncpg.Connection,
    filters: RosterFilters,
    sort: RosterSort,
    order: SortOrder,
    paging: Paging,
    rates: tuple[list[UUID], list[float]] | None = None,
) -> tuple[list[UUID], int]:
    """The ids on the page, in order, and how many clients match the filters; sorting by
    compliance takes every client's ``rates``."""
    search = None if filters.search is None else _like_escaped(filters.search)
    rows, total = await fetch_page(
        conn,
        roster_page_query(sort, order),
        paging,
        filters.statuses,
        filters.time_zones,
        None if search is None else f"%{search}%",
        None if search is None else f"{search}%",
        filters.flag_severities,
        *(rates or ()),
    )
    return [row["id"] for row in rows], total


# --- the rows -----------------------------------------------------------------------------

SUMMARY_ROWS = f"""
SELECT c.id, c.display_name, c.discord_user_id, c.status, c.time_zone, c.last_activity_at,
       CASE
           WHEN k.answered OR 'answered' = ANY (p.statuses) THEN 'answered'
           WHEN 'missed' = ANY (p.statuses) THEN 'missed'
           WHEN p.statuses && '{{fired,enqueued}}'::text[] THEN 'pending'
           ELSE 'not_asked'
       END AS checkin_today,
       fl.high, fl.medium, fl.low
FROM clients AS c
CROSS JOIN LATERAL (SELECT ($1::timestamptz AT TIME ZONE c.time_zone)::date AS today) AS t
CROSS JOIN LATERAL (
    SELECT EXISTS (
        SELECT 1 FROM checkins AS ck WHERE ck.client_id = c.id AND ck.local_date = t.today
    ) AS answered
) AS k
LEFT JOIN LATERAL (
    -- 'checkin' is the check-in engine's id in the LST (docs/LST_Master.md).
    SELECT array_agg(f.status) AS statuses
    FROM trigger_fires AS f
    WHERE f.client_id = c.id AND f.local_date = t.today AND f.engine = 'checkin'
) AS p ON true
{FLAG_COUNTS}
WHERE c.id = ANY ($2::uuid[])
"""


async def summary_rows(
    conn: asyncpg.Connection, at: datetime, client_ids: list[UUID]
) -> dict[UUID, asyncpg.Record]:
    rows = await conn.fetch(SUMMARY_ROWS, at, client_ids)
    return {row["id"]: row for row in rows}


# --- one client ---------------------------------------------------------------------------

PROFILE_COLUMNS = """
id, discord_user_id, display_name, time_zone, status, goal, goal_weight_kg, target_kcal,
target_protein_g, target_carbs_g, target_fat_g, target_steps, target_water_ml, training_days,
created_at, updated_at, last_activity_at
"""

SELECT_PROFILE = f"SELECT {PROFILE_COLUMNS} FROM clients WHERE id = $1"
SELECT_PROFILE_FOR_UPDATE = f"{SELECT_PROFILE} FOR UPDATE"

UPDATE_PROFILE = f"""
UPDATE clients SET display_name = $2, time_zone = $3, goal = $4, goal_weight_kg = $5,
                   target_kcal = $6, target_protein_g = $7, target_carbs_g = $8,
                   target_fat_g = $9, target_steps = $10, target_water_ml = $11,
                   training_days = $12
WHERE id = $1
RETURNING {PROFILE_COLUMNS}
"""

UPDATE_STATUS = f"UPDATE clients SET status = $2 WHERE id = $1 RETURNING {PROFILE_COLUMNS}"


def client_not_found(client_id: UUID) -> ApiError:
    return ApiError(404, "client_not_found", f"There is no client with id {client_id}.")


async def profile_row(
    conn: asyncpg.Connection, client_id: UUID, *, for_update: bool = False
) -> asyncpg.Record:
    """The client's row (locked for the transaction when about to change it), or 404."""
    row: asyncpg.Record | None = await conn.fetchrow(
        SELECT_PROFILE_FOR_UPDATE if for_update else SELECT_PROFILE, client_id
    )
    if row is None:
        raise client_not_found(client_id)
    return row


async def update_profile(
    conn: asyncpg.Connection, client_id: UUID, values: tuple[object, ...]
) -> asyncpg.Record:
    """Write every editable column (``values`` in :data:`UPDATE_PROFILE` order)."""
    row: asyncpg.Record = await conn.fetchrow(UPDATE_PROFILE, client_id, *values)
    return row


async def update_status(conn: asyncpg.Connection, client_id: UUID, status: str) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(UPDATE_STATUS, client_id, status)
    return row
