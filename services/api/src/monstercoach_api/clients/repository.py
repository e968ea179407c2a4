"""All SQL of the clients domain: the roster page, summaries, profiles, status.

A roster page's cost follows the page, not the roster. Its order comes from
``roster_keys``, a narrow row per client with the sort keys (the name key, kept by
triggers on ``clients``, and the 7-day rate): the ids on the page are read from an index
in order, up to offset + limit, and only those clients get their figures, set-based, as
JSON that PostgreSQL writes. The endpoint sends that text as it is, with no Python model
per row (the rows' models and their validation were most of a page's cost, see
docs/benchmarks.md). The whole roster (no filter) is one statement with one generic
plan; a filtered one is two: one planned for its filters that cuts the page (returning
only ids) and counts the matching clients, the other the rows, whose plan never changes.

Each client's 7-day window (due, done and the seven days) is kept in ``client_weeks`` by
``ranking.py``'s background refresh (written here too, see "the stored weeks" below): a
row reads it when it is the window of the client's local today and nothing has made it
stale, and computes it otherwise. The same refresh writes the rates into
``roster_keys``. Reading the stored windows only is a statement a third cheaper than one
that can also compute them: each page's rows are asked of that one first, and of the
other only when one of its weeks is not stored (:class:`_PageRows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from uuid import UUID

import asyncpg

from .. import sqljson
from ..compliance.repository import (
    DAILY_TASKS,
    DAY_SERIES,
    JOB_CARD_COUNTS,
    last_week,
    rate_sql,
    todays_card,
)
from ..errors import ApiError
from ..paging import Paging
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


# --- the rows -------------------------------------------------------------------------------

_CHECKIN_TODAY = """CASE
            WHEN ci.answered OR 'answered' = ANY (p.statuses) THEN 'answered'
            WHEN 'missed' = ANY (p.statuses) THEN 'missed'
            WHEN p.statuses && '{fired,enqueued}'::text[] THEN 'pending'
            ELSE 'not_asked'
        END"""

_SUMMARY_JSON = sqljson.obj(
    ("id", sqljson.plain("r.client_id")),
    ("display_name", sqljson.string("r.display_name")),
    ("discord_user_id", sqljson.string("r.discord_user_id")),
    ("status", sqljson.plain("r.status")),
    ("time_zone", sqljson.string("r.time_zone")),
    ("local_now", sqljson.instant("r.local_now", "r.utc_offset")),
    (
        "job_card",
        sqljson.obj(
            ("client_id", sqljson.plain("r.client_id")),
            ("local_date", sqljson.day("r.today")),
            ("card_id", sqljson.plain("k.card_id")),
            # No card, no row: all zero.
            *((name, sqljson.number(f"coalesce(k.{name}, 0)")) for name in JOB_CARD_COUNTS),
        ),
    ),
    ("checkin_today", sqljson.plain(_CHECKIN_TODAY)),
    (
        "compliance_7d",
        sqljson.obj(
            ("due", sqljson.number("s.due")),
            ("done", sqljson.number("s.done")),
            ("rate", sqljson.number(rate_sql("s.due", "s.done"))),
        ),
    ),
    ("compliance_daily", sqljson.raw("s.days")),
    (
        "open_flags",
        sqljson.obj(
            ("high", sqljson.number("r.flags_high")),
            ("medium", sqljson.number("r.flags_medium")),
            ("low", sqljson.number("r.flags_low")),
        ),
    ),
    ("last_activity_at", sqljson.utc_instant("r.last_activity_at")),
)
"""A :class:`ClientSummary` as JSON text, over the columns ``summaries`` reads."""

_PAGE_DAYS = """
page_days AS (
    -- Each client on the page in their own day, with their stored week where it is the
    -- week of their local today and no event about its days came in since it was stored.
    SELECT p.id AS client_id, p.n, c.display_name, c.discord_user_id, c.status, c.time_zone,
           c.last_activity_at, l.local_now::date AS today, l.local_now,
           l.local_now - ($1::timestamptz AT TIME ZONE 'UTC') AS utc_offset,
           w.client_id IS NOT NULL AS stored, w.due, w.done, w.days,
           k.flags_high, k.flags_medium, k.flags_low
    FROM page AS p
    JOIN clients AS c ON c.id = p.id
    JOIN roster_keys AS k ON k.client_id = c.id
    -- OFFSET 0: the client's local time is worked out once, not at each use of it.
    CROSS JOIN LATERAL (SELECT $1::timestamptz AT TIME ZONE c.time_zone AS local_now OFFSET 0) AS l
    LEFT JOIN client_weeks AS w
      ON w.client_id = c.id AND w.local_date = l.local_now::date AND NOT w.stale
)"""

_COMPUTED_WEEKS = f"""
roster AS (
    -- The others (new, their day rolled over since the last refresh, a late event): their
    -- weeks are computed here, as the refresh computes them.
    SELECT r.client_id, {last_week("r.today")} FROM page_days AS r WHERE NOT r.stored
),
{DAILY_TASKS},
{DAY_SERIES}"""

_TODAY = f"""
    LEFT JOIN LATERAL {todays_card("r.client_id", "r.today")} AS k ON true
    CROSS JOIN LATERAL (
        SELECT EXISTS (
            SELECT 1 FROM checkins AS ck
            WHERE ck.client_id = r.client_id AND ck.local_date = r.today
        ) AS answered
    ) AS ci
    LEFT JOIN LATERAL (
        -- 'checkin' is the check-in engine's id in the LST (docs/LST_Master.md).
        SELECT array_agg(f.status) AS statuses
        FROM trigger_fires AS f
        WHERE f.client_id = r.client_id AND f.local_date = r.today AND f.engine = 'checkin'
    ) AS p ON true"""


def _summaries(*, computes_weeks: bool) -> str:
    """Common table expressions over ``page (id, n)`` and the instant ``$1``: ``summaries
    (n, stored, body)``, each client's :class:`ClientSummary` as JSON, as of ``$1`` in
    their own day. The 7-day window comes from ``client_weeks`` where its row is for the
    client's local today and not stale (``stored``); otherwise it is computed, with the
    expressions :data:`STORE_WEEKS` stores it with, if ``computes_weeks``, and left out
    (``null``) if not. Without those expressions the statement is a third cheaper to run:
    most pages find every week stored, and take it from the statement without them."""
    if computes_weeks:
        weeks = f"{_COMPUTED_WEEKS},"
        week = """
    LEFT JOIN series AS l ON l.client_id = r.client_id
    CROSS JOIN LATERAL (
        SELECT coalesce(r.due, l.due) AS due, coalesce(r.done, l.done) AS done,
               coalesce(r.days, l.days) AS days
    ) AS s"""
    else:
        weeks = ""
        week = "\n    CROSS JOIN LATERAL (SELECT r.due, r.done, r.days) AS s"
    return f"""{_PAGE_DAYS},
{weeks}
summaries AS (
    SELECT r.n, r.stored, {_SUMMARY_JSON} AS body
    FROM page_days AS r{week}{_TODAY}
)
"""


SUMMARY = f"""
WITH page AS (SELECT $2::uuid AS id, 1 AS n),
{_summaries(computes_weeks=True)}
SELECT body FROM summaries
"""


async def summary_json(conn: asyncpg.Connection, at: datetime, client_id: UUID) -> str:
    """One client's roster row as JSON, or 404."""
    body: str | None = await conn.fetchval(SUMMARY, at, client_id)
    if body is None:
        raise client_not_found(client_id)
    return body


# --- the page -------------------------------------------------------------------------------

FILTER_PARAMS = 5
_FILTERS = """
WHERE ($1::text[] IS NULL OR c.status = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR c.time_zone = ANY ($2::text[]))
  AND ($3::text IS NULL OR c.display_name ILIKE $3 OR c.discord_user_id LIKE $4)
  AND ($5::text[] IS NULL OR EXISTS (
        SELECT 1 FROM flags AS f
        WHERE f.client_id = c.id AND f.status <> 'resolved' AND f.severity = ANY ($5::text[])))
"""


@dataclass(frozen=True)
class _Sort:
    key: str
    """The sort key over ``roster_keys AS k`` (and ``clients AS c``); ``{dir}`` is filled
    in."""
    reads_clients: bool = False
    """Whether ``key`` needs the client's row even when nothing filters the roster."""


# Ties go to the name, then the id (in both directions: equal names keep one order). k's
# indexes hold the name, compliance and open-flags orders, each direction, so those pages
# are read index-only, in order, up to offset + limit.
_BY_NAME = "k.name_key, k.client_id"

_SORTS: dict[RosterSort, _Sort] = {
    RosterSort.NAME: _Sort(key="k.name_key {dir}, k.client_id"),
    # Nothing due (or not computed yet) is no evidence either way: last in both directions.
    RosterSort.COMPLIANCE_7D: _Sort(key=f"k.rate {{dir}} NULLS LAST, {_BY_NAME}"),
    # Never active counts as the longest silence.
    RosterSort.LAST_ACTIVITY: _Sort(
        key=f"coalesce(c.last_activity_at, '-infinity') {{dir}}, {_BY_NAME}", reads_clients=True
    ),
    # Unresolved flags by severity, counted in roster_keys by triggers on flags.
    RosterSort.OPEN_FLAGS: _Sort(
        key=f"k.flags_high {{dir}}, k.flags_medium {{dir}}, k.flags_low {{dir}}, {_BY_NAME}"
    ),
}


def _page_ids(sort: RosterSort, order: SortOrder, *, filtered: bool, limit: int) -> str:
    """SQL for the array of the ids on the page, in order: every client has a row in
    ``roster_keys`` (migration 0006), joined to their ``clients`` row only where the
    filters or the sort need it. ``limit`` is the number of the parameter holding the
    page's limit; the offset's is the next."""
    chosen = _SORTS[sort]
    direction = "ASC" if order is SortOrder.ASC else "DESC"
    clients = "JOIN clients AS c ON c.id = k.client_id" if filtered or chosen.reads_clients else ""
    cut = f"LIMIT ${limit} OFFSET ${limit + 1}"
    if not filtered:
        # Out of the planner's sight, so that the plans it makes with and without the
        # values cost the same and it keeps the generic one: knowing them made each
        # custom plan look cheaper, and at 10,000 clients the compliance sort was planned
        # again on every request (1.3 ms; docs/benchmarks.md).
        cut = f"LIMIT (SELECT ${limit}::int) OFFSET (SELECT ${limit + 1}::int)"
    return f"""array(
        SELECT k.client_id
        FROM roster_keys AS k
        {clients}
        {_FILTERS if filtered else ""}
        ORDER BY {chosen.key.format(dir=direction)}
        {cut}
    )"""


def _page_json(page: str, total: str, limit: int, *, computes_weeks: bool) -> str:
    """A :class:`RosterPage` as JSON, as of ``$1``: the rows of the ids in the array
    ``page``, in that order, ``total`` matching clients, and the parameters ``$limit``
    and ``$limit + 1`` as its limit and offset. Without ``computes_weeks``, null when a
    row's week is not stored (see :func:`_summaries`)."""
    body = sqljson.obj(
        ("items", sqljson.array_agg("body", "n")),
        ("total", sqljson.number(total)),
        ("limit", sqljson.number(f"${limit}::int")),
        ("offset", sqljson.number(f"${limit + 1}::int")),
    )
    if not computes_weeks:
        body = f"CASE WHEN bool_and(stored) IS NOT FALSE THEN {body} END"
    return f"""
    WITH page AS (SELECT id, n FROM unnest({page}) WITH ORDINALITY AS p (id, n)),
    {_summaries(computes_weeks=computes_weeks)}
    SELECT {body} FROM summaries
    """


@dataclass(frozen=True)
class _PageRows:
    """A page's rows statement twice over: reading the stored weeks only, and computing
    those that are not stored. The first answers most pages; a page it cannot answer
    (null) takes the second."""

    stored: str
    computing: str

    @classmethod
    def of(cls, page: str, total: str, limit: int) -> _PageRows:
        """The two statements of :func:`_page_json`."""
        return cls(
            _page_json(page, total, limit, computes_weeks=False),
            _page_json(page, total, limit, computes_weeks=True),
        )

    async def fetch(self, conn: asyncpg.Connection, *args: object) -> str:
        """The page as JSON. Each statement answers as of its own snapshot (outside a
        transaction): the two are whole answers alike, never a mix."""
        stored: str | None = await conn.fetchval(self.stored, *args)
        if stored is not None:
            return stored
        computed: str = await conn.fetchval(self.computing, *args)
        return computed


@lru_cache(maxsize=len(_SORTS) * len(SortOrder))
def roster_page_query(sort: RosterSort, order: SortOrder) -> str:
    """The page statement of a filtered roster, for one sort: the ids on the page, in
    order, and how many clients match (a separate count, which needs the filters only; a
    window ``count(*) OVER ()`` would make the page read every matching client). Planned
    for its filters on every request: which plan is best depends on how many clients
    they leave."""
    limit = FILTER_PARAMS + 1
    return f"""
    SELECT {_page_ids(sort, order, filtered=True, limit=limit)} AS ids,
           (SELECT count(*) FROM clients AS c {_FILTERS}) AS total
    """


ROSTER_ROWS = _PageRows.of("$2::uuid[]", "$3::int", limit=4)
"""The rows of the clients ``$2`` in that order as of ``$1`` (a filtered roster's second
statement). Apart from the page statement so that PostgreSQL can keep one generic plan
for it (its shape never changes; planning it cost 1.3 ms a request)."""


@lru_cache(maxsize=len(_SORTS) * len(SortOrder))
def whole_roster_query(sort: RosterSort, order: SortOrder) -> _PageRows:
    """The page of the whole roster (no filter: Battle Station's default view) as of
    ``$1``, limit ``$2``, offset ``$3``, in one statement (but for a row whose week is
    not stored, :class:`_PageRows`): nothing in it depends on a filter, so one generic
    plan serves every page (index-only for the name and compliance sorts) and the page
    costs one round trip instead of two."""
    return _PageRows.of(
        # The total kept by triggers on clients (migration 0008), not counted each page.
        _page_ids(sort, order, filtered=False, limit=2),
        "(SELECT clients FROM roster_total)",
        limit=2,
    )


async def roster_page(
    conn: asyncpg.Connection,
    at: datetime,
    filters: RosterFilters,
    sort: RosterSort,
    order: SortOrder,
    paging: Paging,
) -> str:
    """The page as JSON (a :class:`RosterPage`), its rows as of ``at``: how many clients
    match the filters, and those on the page in order."""
    if filters == RosterFilters():
        return await whole_roster_query(sort, order).fetch(conn, at, paging.limit, paging.offset)
    search = None if filters.search is None else _like_escaped(filters.search)
    page = await conn.fetchrow(
        roster_page_query(sort, order),
        filters.statuses,
        filters.time_zones,
        None if search is None else f"%{search}%",
        None if search is None else f"{search}%",
        filters.flag_severities,
        paging.limit,
        paging.offset,
    )
    return await ROSTER_ROWS.fetch(
        conn, at, page["ids"], page["total"], paging.limit, paging.offset
    )


# --- the stored weeks ---------------------------------------------------------------------

RANKING_LOCK = 0x4D43_5241_4E4B  # "MCRANK"
"""Held by the transaction that writes ``client_weeks`` and the rates in ``roster_keys``:
one api process at a time."""


async def lock_ranking(conn: asyncpg.Connection, *, wait: bool) -> bool:
    """Take :data:`RANKING_LOCK` for the transaction: waiting for it, or only if it is
    free (``False`` when another process holds it)."""
    if wait:
        await conn.execute("SELECT pg_advisory_xact_lock($1)", RANKING_LOCK)
        return True
    taken: bool = await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", RANKING_LOCK)
    return taken


async def ranking_computed_at(conn: asyncpg.Connection) -> datetime | None:
    """The instant the weeks and the ranking were last computed as of; ``None`` if never."""
    at: datetime | None = await conn.fetchval("SELECT computed_at FROM client_rates_state")
    return at


STORE_WEEKS = f"""
WITH roster AS (
    SELECT c.id AS client_id, t.today, {last_week("t.today")}
    FROM clients AS c
    CROSS JOIN LATERAL (SELECT ($1::timestamptz AT TIME ZONE c.time_zone)::date AS today) AS t
    -- $2: every client; otherwise only those whose stored week does not fit (none yet,
    -- their day rolled over, or marked stale).
    WHERE $2::boolean OR NOT EXISTS (
        SELECT 1 FROM client_weeks AS w
        WHERE w.client_id = c.id AND w.local_date = t.today AND NOT w.stale
    )
),
{DAILY_TASKS},
{DAY_SERIES},
weeks AS (
    INSERT INTO client_weeks AS w (client_id, local_date, due, done, days)
    SELECT r.client_id, r.today, s.due, s.done, s.days
    FROM roster AS r
    JOIN series AS s ON s.client_id = r.client_id
    ON CONFLICT (client_id) DO UPDATE SET
        local_date = EXCLUDED.local_date,
        due = EXCLUDED.due,
        done = EXCLUDED.done,
        days = EXCLUDED.days,
        stale = false
    -- Most weeks are the same from one minute to the next: those rows are not rewritten.
    WHERE w.stale OR w.local_date <> EXCLUDED.local_date OR w.days::text <> EXCLUDED.days::text
)
UPDATE roster_keys AS k SET rate = s.rate
FROM (
    SELECT client_id, CASE WHEN due > 0 THEN done::float8 / due END AS rate FROM series
) AS s
WHERE k.client_id = s.client_id AND k.rate IS DISTINCT FROM s.rate
"""
"""Every client's 7-day window as of ``$1`` (or, unless ``$2``, only those whose stored
one does not fit) into ``client_weeks``, and its rate into ``roster_keys`` (the
compliance sort's key; null when nothing is due), in one statement, so the two agree and
never leave PostgreSQL. The windows are the same expressions as a roster row's (a row
computes its own only where the stored one does not fit). Every client has a
``roster_keys`` row from the moment they are added (a trigger on ``clients``, migration
0006); one added since this started keeps a null rate until the next refresh."""

STORE_COMPUTED_AT = """
INSERT INTO client_rates_state (computed_at) VALUES ($1)
ON CONFLICT (singleton) DO UPDATE SET computed_at = EXCLUDED.computed_at
"""


async def store_ranking(conn: asyncpg.Connection, at: datetime, *, full: bool = True) -> None:
    """Recompute ``client_weeks`` and the rates as of ``at``: every client's (``full``),
    or only the weeks that no longer fit, which is all that changes from one minute to
    the next save what the api's ingest never sees (a late write to the scheduler's
    ledger, a deleted record); call it in a transaction that holds
    :data:`RANKING_LOCK`, so the rows and their ``computed_at`` change together."""
    await conn.execute(STORE_WEEKS, at, full)
    await conn.execute(STORE_COMPUTED_AT, at)


MARK_STALE = """
UPDATE client_weeks AS w SET stale = true
FROM (
    SELECT t.client_id, coalesce(t.local_date, j.local_date) AS local_date
    FROM unnest($1::uuid[], $2::date[], $3::uuid[]) AS t (client_id, local_date, card_id)
    LEFT JOIN job_cards AS j ON j.id = t.card_id
) AS e
WHERE w.client_id = e.client_id AND e.local_date < w.local_date AND NOT w.stale
"""


@dataclass(frozen=True)
class DayEvent:
    """Something recorded about one of a client's days: that day, or the job card whose
    day it is."""

    client_id: UUID
    local_date: date | None = None
    card_id: UUID | None = None


async def mark_stale(conn: asyncpg.Connection, events: Sequence[DayEvent]) -> None:
    """Stop serving the stored week of each client with an event about a day before the
    week's local today (a late answer, a tap on yesterday's card): their rows compute it
    until the next refresh stores it again. An event about today changes nothing stored."""
    if events:
        await conn.execute(
            MARK_STALE,
            [e.client_id for e in events],
            [e.local_date for e in events],
            [e.card_id for e in events],
        )


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
