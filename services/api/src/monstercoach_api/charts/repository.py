"""The chart series' SQL, one statement per series, all in the client's own days."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from .schemas import NutritionPoint, WeightPoint

# The 7-day average reaches 6 days before the first point shown, so the first points
# average a full week too.
WEIGHT = """
WITH span AS (
    SELECT ($1::timestamptz AT TIME ZONE c.time_zone)::date AS today
    FROM clients AS c WHERE c.id = $2
),
days AS (
    SELECT w.local_date, avg(w.weight_kg) AS kg
    FROM weight_entries AS w, span AS s
    WHERE w.client_id = $2 AND w.local_date BETWEEN s.today - $3::int - 5 AND s.today
    GROUP BY w.local_date
),
averaged AS (
    SELECT local_date, kg,
           avg(kg) OVER (ORDER BY local_date
                         RANGE BETWEEN interval '6 days' PRECEDING AND CURRENT ROW) AS average
    FROM days
)
SELECT a.local_date, round(a.kg, 2)::float8 AS weight_kg,
       round(a.average, 2)::float8 AS moving_average_7d
FROM averaged AS a, span AS s
WHERE a.local_date > s.today - $3::int
ORDER BY a.local_date
"""

NUTRITION = """
SELECT g.day::date AS local_date, count(m.id) AS meals,
       sum(m.kcal) AS kcal, sum(m.protein_g) AS protein_g,
       c.target_kcal, c.target_protein_g
FROM clients AS c
CROSS JOIN LATERAL (SELECT ($1::timestamptz AT TIME ZONE c.time_zone)::date AS today) AS t
CROSS JOIN LATERAL generate_series(t.today - $3::int + 1, t.today, interval '1 day') AS g (day)
LEFT JOIN meal_logs AS m ON m.client_id = c.id AND m.local_date = g.day::date
WHERE c.id = $2
GROUP BY g.day, c.target_kcal, c.target_protein_g
ORDER BY g.day
"""


async def weight(
    conn: asyncpg.Connection, at: datetime, client_id: UUID, days: int
) -> list[WeightPoint]:
    return [WeightPoint(**dict(row)) for row in await conn.fetch(WEIGHT, at, client_id, days)]


async def nutrition(
    conn: asyncpg.Connection, at: datetime, client_id: UUID, days: int
) -> list[NutritionPoint]:
    rows = await conn.fetch(NUTRITION, at, client_id, days)
    return [NutritionPoint(**dict(row)) for row in rows]
