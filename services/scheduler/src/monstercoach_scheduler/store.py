"""The scheduler's SQL: every statement is set-based (``unnest`` arrays, index ranges).

The scheduler owns ``next_fires``, ``trigger_fires``, ``coach_fires`` and
``scheduler_state``; it only reads ``clients`` and ``schedule_overrides``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from monstercoach_schemas.domain import Goal, Weekday
from monstercoach_schemas.lst.plan import Override, weekdays_of

from .engines.base import ClientFacts

_CLIENT_COLUMNS = """
    c.discord_user_id, c.display_name, c.time_zone, c.goal, c.target_kcal,
    c.target_protein_g, c.target_steps, c.target_water_ml, c.training_days
"""


# By value, for rows: a dict lookup instead of an enum call (once per fire in a tick).
_GOALS = {goal.value: goal for goal in Goal}
_WEEKDAYS = {day.value: day for day in Weekday}


def client_facts(client_id: UUID, row: asyncpg.Record) -> ClientFacts:
    return ClientFacts(
        id=client_id,
        discord_user_id=row["discord_user_id"],
        display_name=row["display_name"],
        time_zone=row["time_zone"],
        goal=_GOALS[row["goal"]],
        target_kcal=row["target_kcal"],
        target_protein_g=row["target_protein_g"],
        target_steps=row["target_steps"],
        target_water_ml=row["target_water_ml"],
        training_days=tuple(map(_WEEKDAYS.__getitem__, row["training_days"])),
    )


def override_of(row: asyncpg.Record) -> Override | None:
    """The override columns of a joined row (``o_enabled`` NULL: there is none)."""
    if row["o_enabled"] is None:
        return None
    return Override(row["o_enabled"], row["o_local_time"], weekdays_of(row["o_weekdays"]))


# --- due fires -------------------------------------------------------------------------------

BATCH_SETTINGS = "SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan"
"""First in every transaction of the tick's batch statements, whose size goes from one
row to ``batch_size``:

* no JIT: at a batch of 10,000 the planner prices the per-pair lookups of
  :data:`SELECT_DUE` above ``jit_above_cost`` and compiles the query, 10-20 ms per
  execution (an empty batch included) to speed up lookups of microseconds each;
* a plan for each execution's own arrays: a cached generic plan guesses ten elements per
  ``unnest`` and joins by nested loops, which at 10,000 fires turned one tick into 24 s.
"""

PUBLISH_SETTINGS = f"{BATCH_SETTINGS}; SET LOCAL synchronous_commit = off"
"""For the transaction that marks fires enqueued around their publish. Its commit need
not wait for the disk: if PostgreSQL crashed and lost it, the fires would be owed again
and published again with the same ids, exactly as after a scheduler crash before that
commit. (The ledger rows, committed before the publish, do wait for the disk.)"""


def _select_pairs(due: str, limit: str, lock: str = "") -> str:
    """Planned pairs whose ``fire_at`` matches ``due``, earliest first, at most ``limit``
    (a parameter), taken with ``lock``: with their clients' columns and overrides."""
    return f"""
WITH due AS (
    -- The pairs first, through the fire_at index: the cost follows what is due.
    SELECT client_id, engine, trigger, fire_at, local_date
      FROM next_fires
     WHERE {due}
     ORDER BY fire_at
     LIMIT {limit}
       {lock}
)
SELECT due.client_id, due.engine, due.trigger, due.fire_at, due.local_date, c.status,
       o.enabled AS o_enabled, o.local_time AS o_local_time, o.weekdays AS o_weekdays,
       {_CLIENT_COLUMNS}
  FROM due
  -- One primary-key lookup per due pair (OFFSET 0 keeps the planner from turning it
  -- into a join that may hash the whole roster).
  CROSS JOIN LATERAL (SELECT * FROM clients WHERE clients.id = due.client_id OFFSET 0) AS c
  LEFT JOIN LATERAL (
       SELECT * FROM schedule_overrides o
        WHERE (o.client_id, o.engine, o.trigger) = (due.client_id, due.engine, due.trigger)
       OFFSET 0) AS o ON true
 ORDER BY due.fire_at
"""


SELECT_DUE = _select_pairs("fire_at <= $1", "$2", "FOR UPDATE SKIP LOCKED")
"""The pairs due at ``$1``, at most ``$2``; locked, so a second scheduler skips them."""

SELECT_COMING = _select_pairs("fire_at > $1 AND fire_at <= $2", "$3")
"""The pairs due after ``$1`` up to ``$2``, at most ``$3``, to compose ahead: read only."""


@dataclass
class LedgerRows:
    """Columns of new ``trigger_fires`` rows, for one ``unnest`` insert (``fired_at`` is the
    tick's instant, the same for every row, so it is one parameter)."""

    engine: list[str]
    trigger: list[str]
    client_id: list[UUID]
    local_date: list[date]
    scheduled_for: list[datetime]
    deadline_at: list[datetime | None]
    status: list[str]
    reason: list[str | None]

    @classmethod
    def empty(cls) -> LedgerRows:
        return cls([], [], [], [], [], [], [], [])

    def add(
        self, engine: str, trigger: str, client_id: UUID, local_date: date,
        scheduled_for: datetime, deadline_at: datetime | None, status: str, reason: str | None,
    ) -> None:  # fmt: skip
        self.engine.append(engine)
        self.trigger.append(trigger)
        self.client_id.append(client_id)
        self.local_date.append(local_date)
        self.scheduled_for.append(scheduled_for)
        self.deadline_at.append(deadline_at)
        self.status.append(status)
        self.reason.append(reason)

    def args(self) -> list[list[Any]]:
        return [
            self.engine, self.trigger, self.client_id, self.local_date, self.scheduled_for,
            self.deadline_at, self.status, self.reason,
        ]  # fmt: skip

    def key_columns(self) -> list[list[Any]]:
        """The primary-key columns: (engine, trigger, client_id, local_date)."""
        return [self.engine, self.trigger, self.client_id, self.local_date]


@dataclass
class NextFireRows:
    """Columns of ``next_fires`` rows to upsert."""

    client_id: list[UUID]
    engine: list[str]
    trigger: list[str]
    fire_at: list[datetime]
    local_date: list[date]

    @classmethod
    def empty(cls) -> NextFireRows:
        return cls([], [], [], [], [])

    def add(self, client_id: UUID, engine: str, trigger: str, at: datetime, day: date) -> None:
        self.client_id.append(client_id)
        self.engine.append(engine)
        self.trigger.append(trigger)
        self.fire_at.append(at)
        self.local_date.append(day)

    def args(self) -> list[list[Any]]:
        return [self.client_id, self.engine, self.trigger, self.fire_at, self.local_date]


def _upsert_next_fires(first: int) -> str:
    """Upsert ``next_fires`` rows given as :class:`NextFireRows` from parameter ``$first``."""
    client_id, engine, trigger, fire_at, local_date = (f"${first + i}" for i in range(5))
    return f"""
INSERT INTO next_fires AS nf (client_id, engine, trigger, fire_at, local_date)
SELECT * FROM unnest({client_id}::uuid[], {engine}::text[], {trigger}::text[],
                     {fire_at}::timestamptz[], {local_date}::date[])
ON CONFLICT (client_id, engine, trigger)
DO UPDATE SET fire_at = EXCLUDED.fire_at, local_date = EXCLUDED.local_date
 WHERE (nf.fire_at, nf.local_date) IS DISTINCT FROM (EXCLUDED.fire_at, EXCLUDED.local_date)
"""


UPSERT_NEXT_FIRES = _upsert_next_fires(1)

RECORD_FIRES = f"""
-- The ledger rows ($1-$8, $9 = fired_at) and the advance of the same pairs' next fires
-- ($10-$14) in one statement. Returns the positions (from 1) of the ledger rows that
-- were new: another scheduler, or an answer that came first, may hold the client-day.
WITH advanced AS ({_upsert_next_fires(10)}),
new AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::date[], $5::timestamptz[],
                         $6::timestamptz[], $7::text[], $8::text[]) WITH ORDINALITY
           AS k(engine, trigger, client_id, local_date, scheduled_for, deadline_at, status,
                reason, n)
),
recorded AS (
    INSERT INTO trigger_fires
           (engine, trigger, client_id, local_date, scheduled_for, fired_at, deadline_at,
            status, reason)
    SELECT engine, trigger, client_id, local_date, scheduled_for, $9, deadline_at, status,
           reason
      FROM new
    ON CONFLICT DO NOTHING
    RETURNING engine, trigger, client_id, local_date
)
SELECT new.n::int AS n FROM new JOIN recorded USING (engine, trigger, client_id, local_date)
"""

CLAIM_FIRED = """
-- Fires just recorded, taken for publishing: marked enqueued (and so locked) before their
-- messages go out, committed after. A concurrent publisher waits or skips them; a crash
-- before the commit leaves them owed; a fire answered meanwhile is not taken. Returns
-- the positions (from 1) taken.
UPDATE trigger_fires f
   SET status = 'enqueued', enqueued_at = $1
  FROM unnest($2::text[], $3::text[], $4::uuid[], $5::date[]) WITH ORDINALITY
       AS k(engine, trigger, client_id, local_date, n)
 WHERE (f.engine, f.trigger, f.client_id, f.local_date)
       = (k.engine, k.trigger, k.client_id, k.local_date)
   AND f.status = 'fired' AND f.enqueued_at IS NULL
RETURNING k.n::int AS n
"""

DELETE_NEXT_FIRES = """
DELETE FROM next_fires nf
 USING unnest($1::uuid[], $2::text[], $3::text[]) AS k(client_id, engine, trigger)
 WHERE (nf.client_id, nf.engine, nf.trigger) = (k.client_id, k.engine, k.trigger)
"""

# --- following client changes ----------------------------------------------------------------

SELECT_CHANGED_CLIENTS = f"""
SELECT c.id AS client_id, c.status, {_CLIENT_COLUMNS}
  FROM clients c
 WHERE c.schedule_changed_at > $1
"""

SELECT_CLIENTS_MISSING_FIRES = f"""
SELECT c.id AS client_id, c.status, {_CLIENT_COLUMNS}
  FROM clients c
 WHERE c.status = 'active'
   AND (SELECT count(*) FROM next_fires nf WHERE nf.client_id = c.id) < $1
"""

SELECT_ALL_ACTIVE_CLIENTS = f"""
SELECT c.id AS client_id, c.status, {_CLIENT_COLUMNS}
  FROM clients c
 WHERE c.status = 'active'
"""

SELECT_OVERRIDES = """
SELECT client_id, engine, trigger, enabled AS o_enabled, local_time AS o_local_time,
       weekdays AS o_weekdays
  FROM schedule_overrides
 WHERE client_id = ANY($1::uuid[])
"""

DELETE_CLIENTS_FIRES = """
DELETE FROM next_fires WHERE client_id = ANY($1::uuid[])
"""

DELETE_UNKNOWN_TRIGGERS = """
DELETE FROM next_fires nf
 WHERE NOT EXISTS (
       SELECT 1 FROM unnest($1::text[], $2::text[]) AS k(engine, trigger)
        WHERE (k.engine, k.trigger) = (nf.engine, nf.trigger))
"""

# --- deadlines and what is owed to the bus ---------------------------------------------------

MARK_PAST_DEADLINE = """
UPDATE trigger_fires
   SET status = 'missed',
       reason = CASE WHEN enqueued_at IS NULL THEN 'not delivered before its deadline'
                     ELSE 'no answer by the deadline' END
 WHERE deadline_at <= $1 AND status IN ('fired', 'enqueued') AND deadline_at IS NOT NULL
"""

SELECT_OWED = f"""
SELECT f.engine, f.trigger, f.client_id, f.local_date, f.scheduled_for, f.deadline_at,
       f.status, f.reason, {_CLIENT_COLUMNS}
  FROM trigger_fires f
  -- A lookup per owed fire, as in SELECT_DUE, never a hash of the roster.
  CROSS JOIN LATERAL (SELECT * FROM clients WHERE clients.id = f.client_id OFFSET 0) AS c
 WHERE (f.status = 'fired' AND f.enqueued_at IS NULL)
    OR (f.status = 'missed' AND f.reported_at IS NULL)
 ORDER BY f.scheduled_for
 LIMIT $1
   FOR UPDATE OF f SKIP LOCKED
"""

MARK_SENT = """
UPDATE trigger_fires f
   SET status      = CASE WHEN f.status = 'fired' THEN 'enqueued' ELSE f.status END,
       enqueued_at = CASE WHEN f.status = 'fired' THEN $1 ELSE f.enqueued_at END,
       reported_at = CASE WHEN f.status = 'missed' THEN $1 ELSE f.reported_at END
  FROM unnest($2::text[], $3::text[], $4::uuid[], $5::date[], $6::text[])
       AS k(engine, trigger, client_id, local_date, was)
 WHERE (f.engine, f.trigger, f.client_id, f.local_date)
       = (k.engine, k.trigger, k.client_id, k.local_date)
   AND f.status = k.was
"""

MARK_COMPOSE_FAILED = """
-- Run by the publisher holding the row: still 'fired', or 'enqueued' by its own
-- uncommitted CLAIM_FIRED.
UPDATE trigger_fires
   SET status = 'missed', reason = $5, enqueued_at = NULL
 WHERE (engine, trigger, client_id, local_date) = ($1, $2, $3, $4)
   AND status IN ('fired', 'enqueued')
"""

# --- answers and undeliverable sends (from the events stream) ------------------------------

ANSWER_FIRES = """
-- Closes the answered client-days' fires, or records them answered before the prompt.
-- Returns the answers' client ids that are not (yet) in clients: none of the batch is
-- recorded then, since the caller rolls the transaction back and retries (the ledger has
-- no foreign key, see migration 0004).
WITH k AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::date[], $5::timestamptz[])
           AS k(engine, trigger, client_id, local_date, answered_at)
),
unknown AS (
    SELECT DISTINCT k.client_id FROM k
     WHERE NOT EXISTS (SELECT 1 FROM clients AS c WHERE c.id = k.client_id)
),
answered AS (
    INSERT INTO trigger_fires AS f
           (engine, trigger, client_id, local_date, scheduled_for, status, reason)
    SELECT k.engine, k.trigger, k.client_id, k.local_date, k.answered_at, 'answered',
           'answered before the prompt'
      FROM k
     WHERE NOT EXISTS (SELECT 1 FROM unknown)
    ON CONFLICT (engine, trigger, client_id, local_date)
    DO UPDATE SET status = 'answered', reason = NULL
     WHERE f.status IN ('fired', 'enqueued')
)
SELECT array(SELECT client_id FROM unknown)
"""

MARK_UNDELIVERABLE = """
UPDATE trigger_fires f
   SET status = 'missed', reason = k.reason
  FROM unnest($1::text[], $2::text[], $3::uuid[], $4::date[], $5::text[])
       AS k(engine, trigger, client_id, local_date, reason)
 WHERE (f.engine, f.trigger, f.client_id, f.local_date)
       = (k.engine, k.trigger, k.client_id, k.local_date)
   AND f.status IN ('fired', 'enqueued')
"""

# --- coach-level fires and bookkeeping -------------------------------------------------------

CLAIM_COACH_FIRE = """
INSERT INTO coach_fires (engine, trigger, local_date, scheduled_for, fired_at, status, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT DO NOTHING
RETURNING status
"""

SELECT_UNSENT_COACH_FIRES = """
SELECT engine, trigger, local_date, scheduled_for FROM coach_fires WHERE status = 'fired'
"""

MARK_COACH_FIRE_SENT = """
UPDATE coach_fires SET status = 'enqueued'
 WHERE (engine, trigger, local_date) = ($1, $2, $3) AND status = 'fired'
"""

FIRST_COACH_TIME_ZONE = "SELECT time_zone FROM coaches ORDER BY created_at, id LIMIT 1"

GET_STATE = "SELECT at, value FROM scheduler_state WHERE key = $1"

PUT_STATE = """
INSERT INTO scheduler_state (key, at, value) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET at = EXCLUDED.at, value = EXCLUDED.value, updated_at = now()
"""

INIT_STATE = """
INSERT INTO scheduler_state (key, at, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
"""


async def get_state(conn: asyncpg.Connection, key: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(GET_STATE, key)
    return row


async def put_state(
    conn: asyncpg.Connection, key: str, at: datetime | None, value: str | None = None
) -> None:
    await conn.execute(PUT_STATE, key, at, value)


def ids(rows: Sequence[asyncpg.Record]) -> list[UUID]:
    return [row["client_id"] for row in rows]
