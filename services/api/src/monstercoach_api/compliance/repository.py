"""Derived figures, computed set-based for any set of clients in one query each.

"Today" and the windows are each client's own calendar days in their time zone, as of
the instant ``at``. Compliance counts two kinds of task per day: every job-card item
(done, or not), and the check-in when it was asked for (the scheduler's ledger has a
``checkin`` fire that day) or given unasked (done either way).

That definition lives once, in :data:`DAILY_TASKS`: SQL common table expressions that
read a ``roster (client_id, first_day, last_day)`` relation supplied by the statement
that includes them and yield ``daily (client_id, local_date, due, done)`` for the days
with anything due. Each client's rows are reached through the ``(client_id,
local_date)`` indexes, so the cost follows the clients asked for, not the tables.
7/28-day compliance, the roster's sparkline and compliance sort, and the adherence chart
all sum or list those rows, so they can never disagree.

The roster and the chart are answered with JSON that PostgreSQL builds (no Python model
per row, see ``clients.repository``): :func:`todays_card` and :data:`DAY_SERIES` are the
SQL they share, and :func:`rate_sql` is
:attr:`Compliance.rate` in SQL. The roster's 7-day window (:func:`last_week`) is also
stored per client, computed by the same expressions (``clients.ranking``).

Cost: see "Roster latency (api)" in docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from .. import sqljson
from .schemas import ClientCompliance, Compliance

JOB_CARD_COUNTS = ("total", "done", "skipped", "missed", "pending")
"""The counts of a :class:`JobCardProgress`, columns of :func:`todays_card`."""


def todays_card(client: str, today: str) -> str:
    """SQL for a subquery (to join ``LATERAL``) of the client ``client``'s job card for
    their local date ``today``: ``card_id`` and the counts of a :class:`JobCardProgress`
    (:data:`JOB_CARD_COUNTS`), one row, or none without a card."""
    return f"""(
        SELECT j.id AS card_id,
               count(i.id) AS total,
               count(i.id) FILTER (WHERE i.status = 'done') AS done,
               count(i.id) FILTER (WHERE i.status = 'skipped') AS skipped,
               count(i.id) FILTER (WHERE i.status = 'missed') AS missed,
               count(i.id) FILTER (WHERE i.status = 'pending') AS pending
        FROM job_cards AS j
        LEFT JOIN job_card_items AS i ON i.card_id = j.id
        WHERE j.client_id = {client} AND j.local_date = {today}
        GROUP BY j.id
    )"""


def last_week(today: str) -> str:
    """SQL for the columns ``first_day, last_day`` of the 7-day window as of the local
    date ``today``: the seven complete days before it. The roster's 7-day compliance, its
    sparkline and the stored weeks (``client_weeks``) all take their window from here."""
    return f"{today} - 7 AS first_day, {today} - 1 AS last_day"


DAILY_TASKS = """
items AS (
    -- Aggregated inside the lateral subquery: that keeps it a per-client index lookup
    -- rather than a join the planner may turn into a scan of every card.
    SELECT r.client_id, j.local_date, j.due, j.done
    FROM roster AS r
    CROSS JOIN LATERAL (
        SELECT j.local_date, count(*) AS due, count(*) FILTER (WHERE i.status = 'done') AS done
        FROM job_cards AS j
        JOIN job_card_items AS i ON i.card_id = j.id
        WHERE j.client_id = r.client_id AND j.local_date BETWEEN r.first_day AND r.last_day
        GROUP BY j.local_date
    ) AS j
),
checkin_days AS (
    SELECT r.client_id, d.local_date, d.answered
    FROM roster AS r
    CROSS JOIN LATERAL (
        SELECT a.local_date, bool_or(a.answered) AS answered
        FROM (
            SELECT k.local_date, true AS answered FROM checkins AS k
            WHERE k.client_id = r.client_id AND k.local_date BETWEEN r.first_day AND r.last_day
            UNION ALL
            -- 'checkin' is the check-in engine's id in the LST (docs/LST_Master.md).
            SELECT f.local_date, false FROM trigger_fires AS f
            WHERE f.client_id = r.client_id AND f.engine = 'checkin'
              AND f.local_date BETWEEN r.first_day AND r.last_day
        ) AS a
        GROUP BY a.local_date
    ) AS d
),
daily AS (
    -- Aggregated per client-day in each branch first: joining raw task rows would sort
    -- every task of every client.
    SELECT coalesce(i.client_id, k.client_id) AS client_id,
           coalesce(i.local_date, k.local_date) AS local_date,
           coalesce(i.due, 0) + (k.client_id IS NOT NULL)::int AS due,
           coalesce(i.done, 0) + coalesce(k.answered, false)::int AS done
    FROM items AS i
    FULL JOIN checkin_days AS k ON k.client_id = i.client_id AND k.local_date = i.local_date
)
"""
"""Common table expressions (no parameters of their own) to include after a ``roster``."""

COMPLIANCE = f"""
WITH roster AS (
    SELECT c.id AS client_id, t.today, t.today - 28 AS first_day, t.today - 1 AS last_day
    FROM clients AS c
    CROSS JOIN LATERAL (SELECT ($1::timestamptz AT TIME ZONE c.time_zone)::date AS today) AS t
    WHERE $2::uuid[] IS NULL OR c.id = ANY ($2::uuid[])
),
{DAILY_TASKS}
SELECT r.client_id,
       coalesce(sum(d.due) FILTER (WHERE d.local_date >= r.today - 7), 0) AS due_7,
       coalesce(sum(d.done) FILTER (WHERE d.local_date >= r.today - 7), 0) AS done_7,
       coalesce(sum(d.due), 0) AS due_28,
       coalesce(sum(d.done), 0) AS done_28
FROM roster AS r
LEFT JOIN daily AS d ON d.client_id = r.client_id
GROUP BY r.client_id, r.today
"""


def rate_sql(due: str, done: str) -> str:
    """SQL for :attr:`Compliance.rate` of the integer expressions ``due`` and ``done``:
    the exact ratio rounded half up to the thousandth, null when nothing is due
    (``tests/api/test_compliance.py`` holds the two to the same answers)."""
    return f"CASE WHEN {due} > 0 THEN round({done}::numeric / {due}, 3) END"


_DAY_JSON = sqljson.obj(
    ("due", sqljson.number("due")),
    ("done", sqljson.number("done")),
    ("local_date", sqljson.day("local_date")),
    ("rate", sqljson.number(rate_sql("due", "done"))),
)

DAY_SERIES = f"""
days AS (
    SELECT r.client_id, g.day::date AS local_date,
           coalesce(d.due, 0)::int AS due, coalesce(d.done, 0)::int AS done
    FROM roster AS r
    CROSS JOIN LATERAL generate_series(r.first_day, r.last_day, interval '1 day') AS g (day)
    LEFT JOIN daily AS d ON d.client_id = r.client_id AND d.local_date = g.day::date
),
series AS MATERIALIZED (
    SELECT client_id, sum(due)::int AS due, sum(done)::int AS done,
           {sqljson.array_agg(_DAY_JSON, "local_date")}::json AS days
    FROM days
    GROUP BY client_id
)
"""
"""Common table expressions after :data:`DAILY_TASKS`: ``series (client_id, due, done,
days)``, each client's days from ``first_day`` to ``last_day`` summed, and one by one as
a JSON array of :class:`DayCompliance`, oldest first, every day present (``0/0`` when
nothing was due)."""


def _ids(client_ids: Sequence[UUID] | None) -> list[UUID] | None:
    return None if client_ids is None else list(client_ids)


async def compliance(
    conn: asyncpg.Connection, at: datetime, client_ids: Sequence[UUID] | None = None
) -> list[ClientCompliance]:
    """7- and 28-day compliance per client; all clients when no ids are given."""
    rows = await conn.fetch(COMPLIANCE, at, _ids(client_ids))
    return [
        ClientCompliance(
            client_id=row["client_id"],
            last_7_days=Compliance(due=row["due_7"], done=row["done_7"]),
            last_28_days=Compliance(due=row["due_28"], done=row["done_28"]),
        )
        for row in rows
    ]
