"""Per-client weekly metrics: one set-based SQL pass over the roster (or one client).

A week is an ISO week (Monday to Sunday) on each client's own calendar: every log table
carries the client-local date it belongs to, and direct messages are dated in the
client's zone. A day is **judged** once it is over where the client lives and the client
was on board for all of it, so a scan on Sunday evening (coach time) does not count the
Sunday of a client in Honolulu as missed, and a client who joined on Thursday is judged
from Friday. Every rate is over the judged days.

The query aggregates each table once per client: counts, averages, the ids of the rows
behind them (bounded) and, for what happens day by day, a bitmask of judged days (bit
``n`` = first judged day + ``n``). Runs over those at most seven days (the longest
silence, the longest run of missed prompts) are read from the masks here in Python,
which is cheaper than gaps-and-islands window functions over every fire of the roster.
The rules (:mod:`.rules`) then turn :class:`WeekMetrics` into flags without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict

from monstercoach_schemas.domain import Goal

REF_LIMIT = 20
"""Ids kept per piece of evidence: enough to open the rows, small on the wire. Row ids
travel as uuids (binary, 16 bytes) and become text only in a flag's evidence."""

CHECKIN_ENGINE = "checkin"
"""The scheduler engine whose missed fires are unanswered check-in prompts (LST)."""

JOB_CARD = "job card"
"""The sequence of daily job cards: a card is missed when no item on it was marked."""

METRICS_SQL = """
WITH roster AS MATERIALIZED (
    SELECT c.id AS client_id, c.display_name, c.time_zone, c.goal,
           c.goal_weight_kg::float8 AS goal_weight_kg, c.target_kcal, c.target_protein_g,
           -- The first full day on board (nothing was prompted or issued before it) and
           -- the last day that is over in the client's zone at $2.
           greatest($1::date, (c.created_at AT TIME ZONE c.time_zone)::date + 1) AS first_day,
           least($1::date + 6, ($2::timestamptz AT TIME ZONE c.time_zone)::date - 1) AS last_day
    FROM clients AS c
    WHERE c.status = 'active' AND ($3::uuid IS NULL OR c.id = $3::uuid)
),
-- Each judged window lies within the week: the constant bounds let PostgreSQL drop
-- other weeks' rows before it joins, whatever the per-client bounds.
checkins_week AS (
    SELECT r.client_id, bit_or(1 << (k.local_date - r.first_day)) AS active
    FROM roster AS r
    JOIN checkins AS k ON k.client_id = r.client_id
     AND k.local_date BETWEEN r.first_day AND r.last_day
     AND k.local_date BETWEEN $1::date AND $1::date + 6
    GROUP BY r.client_id
),
trigger_week AS (
    SELECT r.client_id, f.engine, f.trigger,
           bit_or(1 << (f.local_date - r.first_day)) AS fired,
           coalesce(bit_or(1 << (f.local_date - r.first_day)) FILTER (WHERE f.status = 'missed'),
                    0) AS missed
    FROM roster AS r
    JOIN trigger_fires AS f ON f.client_id = r.client_id
     AND f.local_date BETWEEN r.first_day AND r.last_day
     AND f.local_date BETWEEN $1::date AND $1::date + 6
    GROUP BY r.client_id, f.engine, f.trigger
),
fires_week AS (
    -- Records, not one array per column: no ORDER BY (a sort per client) is needed to
    -- keep a trigger's name and masks together.
    SELECT client_id, array_agg(ROW(engine, trigger, fired, missed)) AS fires
    FROM trigger_week
    GROUP BY client_id
),
cards_week AS (
    SELECT r.client_id, bit_or(1 << (j.local_date - r.first_day)) AS issued,
           array_agg(ROW(j.local_date - r.first_day, j.id)) AS cards
    FROM roster AS r
    JOIN job_cards AS j ON j.client_id = r.client_id
     AND j.local_date BETWEEN r.first_day AND r.last_day
     AND j.local_date BETWEEN $1::date AND $1::date + 6
    GROUP BY r.client_id
),
items_week AS (
    SELECT r.client_id, count(*) AS total,
           count(*) FILTER (WHERE i.status = 'done') AS done,
           count(*) FILTER (WHERE i.status = 'skipped') AS skipped,
           (array_agg(i.id ORDER BY j.local_date, i.position)
               FILTER (WHERE i.status IN ('missed', 'pending')))[1:$4] AS not_done_refs,
           -- Close-out ends a card's day, so any mark on it was made that day.
           coalesce(bit_or(1 << (j.local_date - r.first_day))
                        FILTER (WHERE i.status IN ('done', 'skipped')), 0) AS marked
    FROM roster AS r
    JOIN job_cards AS j ON j.client_id = r.client_id
     AND j.local_date BETWEEN r.first_day AND r.last_day
     AND j.local_date BETWEEN $1::date AND $1::date + 6
    JOIN job_card_items AS i ON i.card_id = j.id
    GROUP BY r.client_id
),
meals_week AS (
    -- Day masks instead of a per-day pass: days with a kcal figure are the bits of
    -- kcal_days, and the mean of daily sums is the sum over those days divided by them.
    SELECT r.client_id,
           bit_or(1 << (m.local_date - r.first_day)) AS meal_days,
           coalesce(bit_or(1 << (m.local_date - r.first_day)) FILTER (WHERE m.kcal IS NOT NULL),
                    0) AS kcal_days,
           sum(m.kcal) AS kcal_sum,
           coalesce(bit_or(1 << (m.local_date - r.first_day))
                        FILTER (WHERE m.protein_g IS NOT NULL), 0) AS protein_days,
           sum(m.protein_g) AS protein_sum,
           (array_agg(m.id ORDER BY m.logged_at))[1:$4] AS refs
    FROM roster AS r
    JOIN meal_logs AS m ON m.client_id = r.client_id
     AND m.local_date BETWEEN r.first_day AND r.last_day
     AND m.local_date BETWEEN $1::date AND $1::date + 6
    GROUP BY r.client_id
),
weigh_days AS (
    -- Two 7-day windows ending on the last judged day: this week's and the one before.
    -- One figure per day (its mean), so three weigh-ins on one day count as one day.
    SELECT r.client_id, w.local_date - r.first_day AS day,
           w.local_date > r.last_day - 7 AS this_week,
           avg(w.weight_kg)::float8 AS kg,
           -- One weigh-in cited per day: any will do, and an unordered pick spares a
           -- sort per day.
           (array_agg(w.id))[1] AS ref
    FROM roster AS r
    JOIN weight_entries AS w ON w.client_id = r.client_id
     AND w.local_date BETWEEN r.last_day - 13 AND r.last_day
     AND w.local_date BETWEEN $1::date - 13 AND $1::date + 6
    GROUP BY r.client_id, w.local_date, r.first_day, r.last_day
),
weight_week AS (
    SELECT client_id,
           count(*) FILTER (WHERE this_week) AS days_now,
           avg(kg) FILTER (WHERE this_week) AS avg_now,
           count(*) FILTER (WHERE NOT this_week) AS days_prev,
           avg(kg) FILTER (WHERE NOT this_week) AS avg_prev,
           (array_agg(ref ORDER BY day DESC))[1:$4] AS refs,
           coalesce(bit_or(1 << day) FILTER (WHERE day >= 0), 0) AS active
    FROM weigh_days
    GROUP BY client_id
),
workouts_week AS (
    SELECT r.client_id, bit_or(1 << (w.local_date - r.first_day)) AS active
    FROM roster AS r
    JOIN workout_logs AS w ON w.client_id = r.client_id
     AND w.local_date BETWEEN r.first_day AND r.last_day
     AND w.local_date BETWEEN $1::date AND $1::date + 6
    GROUP BY r.client_id
),
dms_week AS (
    SELECT client_id, bit_or(1 << (local_date - first_day)) AS active
    FROM (
        SELECT r.client_id, r.first_day, r.last_day,
               (d.received_at AT TIME ZONE r.time_zone)::date AS local_date
        FROM roster AS r
        JOIN direct_messages AS d ON d.client_id = r.client_id
         -- Every zone's local week lies within these UTC bounds (UTC-12 to UTC+14).
         AND d.received_at >= ($1::date - 1)::timestamp AT TIME ZONE 'UTC'
         AND d.received_at < ($1::date + 9)::timestamp AT TIME ZONE 'UTC'
    ) AS local
    WHERE local_date BETWEEN first_day AND last_day
    GROUP BY client_id
)
SELECT r.client_id, r.display_name, r.time_zone, r.goal, r.goal_weight_kg,
       r.target_kcal, r.target_protein_g, r.first_day, r.last_day,
       greatest(r.last_day - r.first_day + 1, 0) AS days_observed,
       coalesce(ck.active, 0) AS checkin_mask,
       coalesce(it.total, 0) AS items_total,
       coalesce(it.done, 0) AS items_done,
       coalesce(it.skipped, 0) AS items_skipped,
       coalesce(it.not_done_refs, '{}') AS not_done_item_refs,
       coalesce(ml.meal_days, 0) AS meal_mask,
       coalesce(ml.kcal_days, 0) AS kcal_mask,
       ml.kcal_sum,
       coalesce(ml.protein_days, 0) AS protein_mask,
       ml.protein_sum,
       coalesce(ml.refs, '{}') AS meal_refs,
       coalesce(wt.days_now, 0) AS weight_days_now,
       wt.avg_now AS weight_avg_now,
       coalesce(wt.days_prev, 0) AS weight_days_prev,
       wt.avg_prev AS weight_avg_prev,
       coalesce(wt.refs, '{}') AS weight_refs,
       coalesce(wo.active, 0) AS workout_mask,
       coalesce(ck.active, 0) | coalesce(ml.meal_days, 0) | coalesce(it.marked, 0)
           | coalesce(wt.active, 0) | coalesce(wo.active, 0) | coalesce(dm.active, 0)
           AS active_mask,
       coalesce(fw.fires, '{}') AS fires,
       coalesce(cw.issued, 0) AS issued_card_mask,
       coalesce(cw.cards, '{}') AS cards,
       coalesce(it.marked, 0) AS marked_card_mask
FROM roster AS r
LEFT JOIN checkins_week AS ck USING (client_id)
LEFT JOIN fires_week AS fw USING (client_id)
LEFT JOIN cards_week AS cw USING (client_id)
LEFT JOIN items_week AS it USING (client_id)
LEFT JOIN meals_week AS ml USING (client_id)
LEFT JOIN weight_week AS wt USING (client_id)
LEFT JOIN workouts_week AS wo USING (client_id)
LEFT JOIN dms_week AS dm USING (client_id)
ORDER BY r.client_id
"""


class WeekMetrics(BaseModel):
    """One client's week as the rules (and a language model) see it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: UUID
    display_name: str
    time_zone: str
    goal: Goal
    goal_weight_kg: float | None
    target_kcal: int
    target_protein_g: int
    first_day: date
    last_day: date
    days_observed: int
    """Judged days (0-7): the denominator of every rate."""
    checkins: int
    missed_checkin_refs: tuple[str, ...]
    """Missed check-in prompts as ``engine/trigger/local-date`` (the fire ledger's key)."""
    items_total: int
    items_done: int
    items_skipped: int
    not_done_item_refs: tuple[UUID, ...]
    meal_days: int
    kcal_days: int
    avg_kcal: float | None
    """Mean of the daily kcal sums over days with a kcal figure logged."""
    protein_days: int
    avg_protein_g: float | None
    meal_refs: tuple[UUID, ...]
    weight_days_now: int
    weight_avg_now: float | None
    """Mean of daily mean weights over the 7 days ending on the last judged day."""
    weight_days_prev: int
    weight_avg_prev: float | None
    weight_refs: tuple[UUID, ...]
    longest_silence_days: int
    """Longest run of judged days without a check-in, meal, workout, weigh-in, job card
    mark or DM."""
    trailing_silence_days: int
    """Silent days at the end of the judged window: the silence still going on."""
    last_active_day: date | None
    missed_streak: int
    """Longest run of consecutive missed fires of one trigger, or ignored job cards."""
    missed_streak_what: str | None
    """``engine/trigger`` of that run, or ``job card``."""
    missed_streak_refs: tuple[str, ...]
    workout_days: int = 0
    """Days with a workout logged. No rule reads it: it is what a language model checks
    a client's "trained 4x this week" against. The rows' ids come with the client's
    words (:func:`~.review.load_client_words`), only when a reviewer asks: the rules
    pass does not pay for ids it never shows."""

    @property
    def checkin_rate(self) -> float | None:
        return _rate(self.checkins, self.days_observed)

    @property
    def jobcard_done_rate(self) -> float | None:
        return _rate(self.items_done, self.items_total)

    @property
    def meal_day_rate(self) -> float | None:
        return _rate(self.meal_days, self.days_observed)

    @property
    def weight_change_kg(self) -> float | None:
        """This week's moving average minus last week's, to the scale's 10 g."""
        if self.weight_avg_now is None or self.weight_avg_prev is None:
            return None
        # Rounded so 80.0 - 79.9 is 0.1 and a threshold of 0.1 compares as a coach means.
        return round(self.weight_avg_now - self.weight_avg_prev, 2)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- what the day masks say -----------------------------------------------------------------


def _days(mask: int) -> list[int]:
    return [day for day in range(7) if mask >> day & 1]


@dataclass(frozen=True)
class Missable:
    """One thing that can be missed day after day: a trigger's fires, or job cards."""

    what: str
    happened: int
    """Day mask of the days it happened (fired, or a card issued)."""
    missed: int
    """Day mask of the days it was missed (a subset of ``happened``)."""
    ref_of: Callable[[int], str]
    """The ref of the row behind one day."""

    def longest_run(self) -> tuple[int, int]:
        """(length, last day index) of the longest run of consecutive misses; ties go
        to the latest run. Days it did not happen neither break nor extend a run."""
        best, run, end = 0, 0, -1
        if self.missed:
            for day in _days(self.happened):
                run = run + 1 if self.missed >> day & 1 else 0
                if run and run >= best:
                    best, end = run, day
        return best, end

    def missed_refs(self) -> list[str]:
        return [self.ref_of(day) for day in _days(self.missed)]

    def refs_of_run(self, length: int, end: int) -> tuple[str, ...]:
        days = [day for day in _days(self.happened) if day <= end][-length:]
        return tuple(self.ref_of(day) for day in days)


def _silences(active_mask: int, days: int) -> tuple[int, int]:
    """(longest, trailing) run of judged days whose bit is clear in ``active_mask``."""
    longest = run = 0
    for day in range(days):
        run = 0 if active_mask >> day & 1 else run + 1
        longest = max(longest, run)
    return longest, run


def _fire_ref(what: str, first_day: date, day: int) -> str:
    return f"{what}/{(first_day + timedelta(days=day)).isoformat()}"


def _missables(row: Mapping[str, Any]) -> list[Missable]:
    missables = [
        Missable(
            f"{engine}/{trigger}",
            fired,
            missed,
            partial(_fire_ref, f"{engine}/{trigger}", row["first_day"]),
        )
        for engine, trigger, fired, missed in row["fires"]
    ]
    if row["cards"]:
        issued, cards = row["issued_card_mask"], dict[int, UUID](row["cards"])
        ignored = issued & ~row["marked_card_mask"]
        missables.append(Missable(JOB_CARD, issued, ignored, lambda day: str(cards[day])))
    return missables


def _longest_missed(missables: Sequence[Missable]) -> tuple[int, str | None, tuple[str, ...]]:
    runs = [(*missable.longest_run(), missable) for missable in missables]
    runs = [run for run in runs if run[0]]
    if not runs:
        return 0, None, ()
    # Longest first, then the most recent, then by name so the choice is stable.
    length, end, missable = min(runs, key=lambda run: (-run[0], -run[1], run[2].what))
    return length, missable.what, missable.refs_of_run(length, end)


def _checkin_misses(missables: Sequence[Missable]) -> tuple[str, ...]:
    refs = []
    for missable in missables:
        if missable.what.startswith(f"{CHECKIN_ENGINE}/"):
            refs += missable.missed_refs()
    return tuple(refs[:REF_LIMIT])


def _mean(total: int | None, days: int) -> float | None:
    return total / days if total is not None and days else None


SCALARS = (
    "client_id", "display_name", "time_zone", "goal", "goal_weight_kg", "target_kcal",
    "target_protein_g", "first_day", "last_day", "days_observed", "items_total", "items_done",
    "items_skipped", "not_done_item_refs", "meal_refs", "weight_days_now", "weight_avg_now",
    "weight_days_prev", "weight_avg_prev", "weight_refs",
)  # fmt: skip
"""Columns that are metrics as they come; the rest are day masks read below."""


def metrics_from_row(row: Mapping[str, Any]) -> WeekMetrics:
    days, first_day, active = row["days_observed"], row["first_day"], row["active_mask"]
    kcal_days, protein_days = row["kcal_mask"].bit_count(), row["protein_mask"].bit_count()
    missables = _missables(row)
    longest, trailing = _silences(active, days)
    streak, streak_what, streak_refs = _longest_missed(missables)
    return WeekMetrics(
        **{name: row[name] for name in SCALARS},
        checkins=row["checkin_mask"].bit_count(),
        missed_checkin_refs=_checkin_misses(missables),
        meal_days=row["meal_mask"].bit_count(),
        kcal_days=kcal_days,
        avg_kcal=_mean(row["kcal_sum"], kcal_days),
        protein_days=protein_days,
        avg_protein_g=_mean(row["protein_sum"], protein_days),
        longest_silence_days=longest,
        trailing_silence_days=trailing,
        last_active_day=first_day + timedelta(days=active.bit_length() - 1) if active else None,
        missed_streak=streak,
        missed_streak_what=streak_what,
        missed_streak_refs=streak_refs,
        workout_days=row["workout_mask"].bit_count(),
    )


def week_start(iso_week: str) -> date:
    """The Monday of an ISO week such as ``2026-W47`` (validated as ``IsoWeek``)."""
    year, week = iso_week.split("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def has_started(iso_week: str, as_of: datetime) -> bool:
    """True once the week's Monday has begun somewhere on Earth (UTC+14 is first)."""
    return week_start(iso_week) <= (as_of.astimezone(UTC) + timedelta(hours=14)).date()


async def fetch_metrics(
    pool: asyncpg.Pool, iso_week: str, as_of: datetime, client_id: UUID | None = None
) -> list[WeekMetrics]:
    """Metrics for every active client (or the one given), ordered by client id."""
    async with pool.acquire() as conn, conn.transaction():
        # JIT compiling this plan costs more (~0.3 s) than it saves on a roster's week.
        await conn.execute("SET LOCAL jit = off")
        rows = await conn.fetch(METRICS_SQL, week_start(iso_week), as_of, client_id, REF_LIMIT)
    return [metrics_from_row(row) for row in rows]
