"""What the bot reads from PostgreSQL: read-only SQL, beside the calls that run it.

The api is the system of record and the only writer; the bot reads the clients table
(who is this Discord user, in which zone, which status), the job cards the api recorded
from ``jobcard.issued``, and the logs for ``/week``, ``/roster`` and ``/flags``. A read
may be a moment behind an event the bot just published (the api persists it from the
stream); where that matters the handler overlays what it knows (see ``cards``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from monstercoach_schemas.domain import ClientStatus, Goal, JobCardItemStatus

CLIENT_COLUMNS = """
    id, discord_user_id, display_name, time_zone, status, goal, target_kcal,
    target_protein_g, goal_weight_kg::float8 AS goal_weight_kg
"""


@dataclass(frozen=True)
class ClientRecord:
    id: UUID
    discord_user_id: str
    display_name: str
    time_zone: str
    status: ClientStatus
    goal: Goal
    target_kcal: int
    target_protein_g: int
    goal_weight_kg: float | None

    def today(self, at: datetime) -> date:
        """The client's own calendar day at the instant ``at``."""
        return at.astimezone(ZoneInfo(self.time_zone)).date()

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ClientRecord:
        return cls(
            id=row["id"],
            discord_user_id=row["discord_user_id"],
            display_name=row["display_name"],
            time_zone=row["time_zone"],
            status=ClientStatus(row["status"]),
            goal=Goal(row["goal"]),
            target_kcal=row["target_kcal"],
            target_protein_g=row["target_protein_g"],
            goal_weight_kg=row["goal_weight_kg"],
        )


async def client_by_discord_id(pool: asyncpg.Pool, discord_user_id: str) -> ClientRecord | None:
    row = await pool.fetchrow(
        f"SELECT {CLIENT_COLUMNS} FROM clients WHERE discord_user_id = $1", discord_user_id
    )
    return None if row is None else ClientRecord.from_row(row)


async def client_by_id(pool: asyncpg.Pool, client_id: UUID) -> ClientRecord | None:
    row = await pool.fetchrow(f"SELECT {CLIENT_COLUMNS} FROM clients WHERE id = $1", client_id)
    return None if row is None else ClientRecord.from_row(row)


FIND_CLIENTS = f"""
SELECT {CLIENT_COLUMNS}
FROM clients
WHERE ($2 OR status <> 'archived')
  AND display_name ILIKE '%' || $1 || '%' ESCAPE '\\'
-- Names that start with what was typed first, then alphabetical.
ORDER BY lower(display_name) LIKE lower($1) || '%' ESCAPE '\\' DESC, lower(display_name), id
LIMIT $3
"""


def like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def find_clients(
    pool: asyncpg.Pool, typed: str, *, limit: int = 25, archived: bool = False
) -> list[ClientRecord]:
    """Clients whose name contains ``typed`` (any case), for the coach's pickers."""
    rows = await pool.fetch(FIND_CLIENTS, like_escaped(typed.strip()), archived, limit)
    return [ClientRecord.from_row(row) for row in rows]


# --- job cards -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardItem:
    id: UUID
    position: int
    label: str
    status: JobCardItemStatus


@dataclass(frozen=True)
class Card:
    id: UUID
    client_id: UUID
    local_date: date
    items: tuple[CardItem, ...]


CARD = """
SELECT j.id, j.client_id, j.local_date, i.id AS item_id, i.position, i.label, i.status
FROM job_cards AS j
JOIN job_card_items AS i ON i.card_id = j.id
WHERE {where}
ORDER BY i.position
"""


def _card(rows: list[asyncpg.Record]) -> Card | None:
    if not rows:
        return None
    first = rows[0]
    items = tuple(
        CardItem(r["item_id"], r["position"], r["label"], JobCardItemStatus(r["status"]))
        for r in rows
    )
    return Card(first["id"], first["client_id"], first["local_date"], items)


async def card_by_id(pool: asyncpg.Pool, card_id: UUID) -> Card | None:
    return _card(await pool.fetch(CARD.format(where="j.id = $1"), card_id))


async def card_for_day(pool: asyncpg.Pool, client_id: UUID, local_date: date) -> Card | None:
    where = "j.client_id = $1 AND j.local_date = $2"
    return _card(await pool.fetch(CARD.format(where=where), client_id, local_date))


# --- /week -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekFigures:
    first_day: date
    last_day: date
    checkins: int
    items: int
    items_done: int
    meal_days: int
    kcal_days: int
    avg_kcal: float | None
    protein_days: int
    avg_protein_g: float | None
    weigh_ins: int
    first_weight_kg: float | None
    last_weight_kg: float | None
    today_checked_in: bool
    today_items: int
    today_items_done: int
    today_kcal: int | None


WEEK = """
WITH meal_days AS (
    SELECT local_date, sum(kcal) AS kcal, sum(protein_g) AS protein_g
    FROM meal_logs
    WHERE client_id = $1 AND local_date BETWEEN $2 AND $3
    GROUP BY local_date
),
weights AS (
    -- Weigh-ins up to and including today: the trend should end on the latest one.
    SELECT weight_kg::float8 AS weight_kg, measured_at
    FROM weight_entries
    WHERE client_id = $1 AND local_date BETWEEN $2 AND $4
),
items AS (
    SELECT j.local_date, i.status
    FROM job_cards AS j JOIN job_card_items AS i ON i.card_id = j.id
    WHERE j.client_id = $1 AND j.local_date BETWEEN $2 AND $4
)
SELECT
    (SELECT count(*) FROM checkins
     WHERE client_id = $1 AND local_date BETWEEN $2 AND $3) AS checkins,
    (SELECT count(*) FROM items WHERE local_date <= $3) AS items,
    (SELECT count(*) FROM items WHERE local_date <= $3 AND status = 'done') AS items_done,
    (SELECT count(*) FROM meal_days) AS meal_days,
    (SELECT count(kcal) FROM meal_days) AS kcal_days,
    (SELECT avg(kcal)::float8 FROM meal_days) AS avg_kcal,
    (SELECT count(protein_g) FROM meal_days) AS protein_days,
    (SELECT avg(protein_g)::float8 FROM meal_days) AS avg_protein_g,
    (SELECT count(*) FROM weights) AS weigh_ins,
    (SELECT weight_kg FROM weights ORDER BY measured_at LIMIT 1) AS first_weight_kg,
    (SELECT weight_kg FROM weights ORDER BY measured_at DESC LIMIT 1) AS last_weight_kg,
    EXISTS (SELECT 1 FROM checkins WHERE client_id = $1 AND local_date = $4)
        AS today_checked_in,
    (SELECT count(*) FROM items WHERE local_date = $4) AS today_items,
    (SELECT count(*) FROM items WHERE local_date = $4 AND status = 'done') AS today_items_done,
    (SELECT sum(kcal) FROM meal_logs WHERE client_id = $1 AND local_date = $4) AS today_kcal
"""


async def week_figures(pool: asyncpg.Pool, client_id: UUID, today: date) -> WeekFigures:
    """The 7 complete days before ``today`` (the client's), and today so far."""
    first_day, last_day = today - timedelta(days=7), today - timedelta(days=1)
    row = await pool.fetchrow(WEEK, client_id, first_day, last_day, today)
    assert row is not None  # an aggregate query always answers one row
    return WeekFigures(first_day=first_day, last_day=last_day, **dict(row))


# --- coach views --------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    client_id: UUID
    display_name: str
    status: ClientStatus
    local_date: date
    checked_in: bool
    items: int
    items_done: int
    meals: int
    open_flags: int
    last_activity_at: datetime | None


ROSTER_PAGE = """
WITH page AS (
    SELECT c.id, c.display_name, c.status, c.last_activity_at,
           ($1::timestamptz AT TIME ZONE c.time_zone)::date AS today
    FROM clients AS c
    WHERE c.status <> 'archived'
    ORDER BY lower(c.display_name), c.id
    LIMIT $2 OFFSET $3
)
SELECT p.id AS client_id, p.display_name, p.status, p.today AS local_date, p.last_activity_at,
       EXISTS (SELECT 1 FROM checkins AS k WHERE k.client_id = p.id AND k.local_date = p.today)
           AS checked_in,
       coalesce(card.items, 0) AS items, coalesce(card.done, 0) AS items_done,
       (SELECT count(*) FROM meal_logs AS m WHERE m.client_id = p.id AND m.local_date = p.today)
           AS meals,
       (SELECT count(*) FROM flags AS f WHERE f.client_id = p.id AND f.status = 'open')
           AS open_flags
FROM page AS p
LEFT JOIN LATERAL (
    SELECT count(*) AS items, count(*) FILTER (WHERE i.status = 'done') AS done
    FROM job_cards AS j JOIN job_card_items AS i ON i.card_id = j.id
    WHERE j.client_id = p.id AND j.local_date = p.today
) AS card ON true
ORDER BY lower(p.display_name), p.id
"""


async def roster_page(
    pool: asyncpg.Pool, at: datetime, page: int, per_page: int
) -> tuple[list[RosterLine], int]:
    """One page of the roster (every client but the archived) and how many there are."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        total = await conn.fetchval("SELECT count(*) FROM clients WHERE status <> 'archived'")
        rows = await conn.fetch(ROSTER_PAGE, at, per_page, page * per_page)
    lines = [RosterLine(**{**dict(row), "status": ClientStatus(row["status"])}) for row in rows]
    return lines, int(total)


@dataclass(frozen=True)
class OpenFlag:
    display_name: str
    code: str
    severity: str
    iso_week: str
    rationale: str


OPEN_FLAGS = """
SELECT c.display_name, f.code, f.severity, f.iso_week, f.rationale, count(*) OVER () AS total
FROM flags AS f JOIN clients AS c ON c.id = f.client_id
WHERE f.status = 'open'
ORDER BY CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
         f.created_at DESC, f.id
LIMIT $1
"""


async def open_flags(pool: asyncpg.Pool, limit: int) -> tuple[list[OpenFlag], int]:
    """The most urgent open flags (high first, newest first) and how many are open."""
    rows = await pool.fetch(OPEN_FLAGS, limit)
    total = rows[0]["total"] if rows else 0
    flags = [
        OpenFlag(r["display_name"], r["code"], r["severity"], r["iso_week"], r["rationale"])
        for r in rows
    ]
    return flags, int(total)
