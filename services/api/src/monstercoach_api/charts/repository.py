"""The chart series' SQL: one statement that answers the whole :class:`ClientCharts` as
JSON built by PostgreSQL, every series in the client's own days (see ``clients.repository``
for why the JSON is not built in Python)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from .. import sqljson
from ..clients.repository import client_not_found
from ..compliance.repository import DAILY_TASKS, DAY_SERIES

_WEIGHT_JSON = sqljson.obj(
    ("local_date", sqljson.day("a.local_date")),
    ("weight_kg", sqljson.number("round(a.kg, 2)::float8")),
    ("moving_average_7d", sqljson.number("round(a.average, 2)::float8")),
)
_NUTRITION_JSON = sqljson.obj(
    ("local_date", sqljson.day("n.local_date")),
    *((name, sqljson.number(f"n.{name}")) for name in ("meals", "kcal", "protein_g")),
    *((name, sqljson.number(f"k.{name}")) for name in ("target_kcal", "target_protein_g")),
)
_CHARTS_JSON = sqljson.obj(
    ("client_id", sqljson.plain("k.id")),
    ("today", sqljson.day("k.today")),
    (
        "weight",
        f"""(SELECT {sqljson.array_agg(_WEIGHT_JSON, "a.local_date")}
             FROM averaged AS a WHERE a.local_date > k.today - $3::int)""",
    ),
    ("adherence", sqljson.raw("s.days")),
    (
        "nutrition",
        f"(SELECT {sqljson.array_agg(_NUTRITION_JSON, 'n.local_date')} FROM nutrition AS n)",
    ),
)
"""A :class:`ClientCharts` as JSON text, over ``client AS k`` and ``series AS s``."""

# The 7-day average reaches 6 days before the first point shown, so the first points
# average a full week too.
CHARTS = f"""
WITH client AS (
    SELECT c.id, c.target_kcal, c.target_protein_g,
           ($1::timestamptz AT TIME ZONE c.time_zone)::date AS today
    FROM clients AS c WHERE c.id = $2
),
roster AS (
    SELECT id AS client_id, today - $3::int AS first_day, today - 1 AS last_day FROM client
),
{DAILY_TASKS},
{DAY_SERIES},
weight_days AS (
    SELECT w.local_date, avg(w.weight_kg) AS kg
    FROM weight_entries AS w, client AS k
    WHERE w.client_id = k.id AND w.local_date BETWEEN k.today - $3::int - 5 AND k.today
    GROUP BY w.local_date
),
averaged AS (
    SELECT local_date, kg,
           avg(kg) OVER (ORDER BY local_date
                         RANGE BETWEEN interval '6 days' PRECEDING AND CURRENT ROW) AS average
    FROM weight_days
),
nutrition AS (
    SELECT g.day::date AS local_date, coalesce(m.meals, 0) AS meals, m.kcal, m.protein_g
    FROM client AS k
    CROSS JOIN LATERAL generate_series(k.today - $3::int + 1, k.today, interval '1 day') AS g (day)
    LEFT JOIN (
        -- The days' meals first, through the (client_id, local_date) index: joined day by
        -- day, the plan read every meal the client ever logged and matched each to 28 days.
        SELECT m.local_date, count(*) AS meals, sum(m.kcal) AS kcal, sum(m.protein_g) AS protein_g
        FROM client AS k
        JOIN meal_logs AS m
          ON m.client_id = k.id AND m.local_date BETWEEN k.today - $3::int + 1 AND k.today
        GROUP BY m.local_date
    ) AS m ON m.local_date = g.day::date
)
SELECT {_CHARTS_JSON}
FROM client AS k
JOIN series AS s ON s.client_id = k.id
"""


async def charts_json(conn: asyncpg.Connection, at: datetime, client_id: UUID, days: int) -> str:
    """A :class:`ClientCharts` as JSON over the last ``days`` days as of ``at``, or 404."""
    body: str | None = await conn.fetchval(CHARTS, at, client_id, days)
    if body is None:
        raise client_not_found(client_id)
    return body
