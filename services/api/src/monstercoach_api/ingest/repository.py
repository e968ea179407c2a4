"""The SQL that records events: one set-based statement per message type and batch.

Each function takes the batch's messages of one type, in stream order, and writes them
with ``unnest`` over parallel arrays. Where one batch can touch the same row twice (two
answers to one check-in, two outcomes of one delivery), it first keeps the newest per
row, because an ``INSERT … ON CONFLICT DO UPDATE`` may not touch a row twice.

Messages of a failed entry are retried after later ones (docs/decisions/0003), so where
order matters the rows compare the events' own timestamps instead of trusting arrival.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import asyncpg

from monstercoach_kit.bus import PermanentError, RetryLater
from monstercoach_schemas.messages import (
    CheckinAnswered,
    ClientOnboarded,
    ClientStatusChanged,
    DeliveryOutcome,
    DeliveryRequested,
    DmReceived,
    FlagRaised,
    JobCardClosedOut,
    JobCardIssued,
    JobCardItemMarked,
    MealLogged,
    WorkoutLogged,
)

M = TypeVar("M")


def newest_per_key(
    messages: Sequence[M], key: Callable[[M], Hashable], order: Callable[[M], Any]
) -> list[M]:
    """One message per ``key``: the greatest by ``order``, the later one on a tie."""
    kept: dict[Hashable, M] = {}
    for message in messages:
        current = kept.get(key(message))
        if current is None or order(message) >= order(current):
            kept[key(message)] = message
    return list(kept.values())


def columns(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows to the parallel arrays ``unnest`` takes (one per column)."""
    width = len(rows[0]) if rows else 0
    return [[row[i] for row in rows] for i in range(width)]


# --- clients -------------------------------------------------------------------------------

UNKNOWN_CLIENTS = """
SELECT coalesce(array_agg(DISTINCT u.id), '{}')
FROM unnest($1::uuid[]) AS u (id)
WHERE NOT EXISTS (SELECT 1 FROM clients AS c WHERE c.id = u.id)
"""


async def require_clients(conn: asyncpg.Connection, client_ids: Sequence[UUID]) -> None:
    """Every client the messages are about must be recorded first.

    An unknown client is usually one whose onboarding is still on its way (pending in a
    consumer that died, or later in the stream than a retried entry), so the message is
    retried until the bus gives up waiting (``RetryLater``), not refused at once.
    """
    if not client_ids:
        return
    unknown = await conn.fetchval(UNKNOWN_CLIENTS, list(client_ids))
    if unknown:
        raise RetryLater(f"unknown client id(s): {', '.join(map(str, sorted(unknown)))}")


UPSERT_CLIENTS = """
INSERT INTO clients AS c (id, discord_user_id, display_name, time_zone, goal, created_at,
                          last_activity_at)
SELECT t.id, t.discord_user_id, t.display_name, t.time_zone, t.goal, t.at, t.at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
    AS t (id, discord_user_id, display_name, time_zone, goal, at)
ON CONFLICT (discord_user_id) DO UPDATE SET
    display_name = EXCLUDED.display_name,
    time_zone = EXCLUDED.time_zone,
    goal = EXCLUDED.goal,
    -- Finishing onboarding (again) makes a client active; a coach's pause stays a pause.
    status = CASE WHEN c.status IN ('onboarding', 'archived') THEN 'active' ELSE c.status END,
    last_activity_at = GREATEST(c.last_activity_at, EXCLUDED.last_activity_at)
"""


async def upsert_clients(conn: asyncpg.Connection, messages: Sequence[ClientOnboarded]) -> None:
    # A known Discord user keeps their id (the conflict is on discord_user_id).
    latest = newest_per_key(
        messages, lambda m: m.payload.discord_user_id, lambda m: m.payload.onboarded_at
    )
    rows = [
        (
            m.payload.client_id,
            m.payload.discord_user_id,
            m.payload.display_name,
            m.payload.time_zone,
            m.payload.goal.value,
            m.payload.onboarded_at,
        )
        for m in latest
    ]
    await conn.execute(UPSERT_CLIENTS, *columns(rows))


SET_STATUSES = """
WITH changed AS (
    UPDATE clients AS c SET status = t.status
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
        AS t (id, status, coach, reason)
    WHERE c.id = t.id AND c.status <> t.status
    RETURNING c.id, t.status, t.coach, t.reason
)
-- The same audit row as Battle Station's status change, written in the same statement.
INSERT INTO audit_log (coach_discord_id, action, target, details)
SELECT coach, 'client.status', id::text,
       jsonb_strip_nulls(jsonb_build_object('to', status, 'reason', reason, 'via', 'discord'))
FROM changed
"""


async def set_statuses(conn: asyncpg.Connection, messages: Sequence[ClientStatusChanged]) -> None:
    """A coach's pause/archive/activate from Discord; the latest change per client wins."""
    latest = newest_per_key(messages, lambda m: m.payload.client_id, lambda m: m.payload.changed_at)
    rows = [
        (m.payload.client_id, m.payload.status.value, m.payload.changed_by_discord_id,
         m.payload.reason)
        for m in latest
    ]  # fmt: skip
    await conn.execute(SET_STATUSES, *columns(rows))


BUMP_LAST_ACTIVITY = """
UPDATE clients AS c SET last_activity_at = t.at
FROM (
    SELECT u.id, max(u.at) AS at
    FROM unnest($1::uuid[], $2::timestamptz[]) AS u (id, at)
    GROUP BY u.id
) AS t
WHERE c.id = t.id AND (c.last_activity_at IS NULL OR c.last_activity_at < t.at)
"""


async def bump_last_activity(
    conn: asyncpg.Connection, actions: Sequence[tuple[UUID, datetime]]
) -> None:
    """Move each client's last activity forward to their newest action (never back)."""
    if actions:
        await conn.execute(BUMP_LAST_ACTIVITY, *columns(actions))


# --- logs ----------------------------------------------------------------------------------

UPSERT_CHECKINS = """
WITH answered AS (
    INSERT INTO checkins AS c (id, client_id, local_date, weight_kg, sleep_hours, energy,
                               notes, answered_at)
    SELECT t.id, t.client_id, t.local_date, t.weight_kg::numeric(5, 1),
           t.sleep_hours::numeric(4, 1), t.energy, t.notes, t.answered_at
    FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::float8[], $5::float8[],
                $6::smallint[], $7::text[], $8::timestamptz[])
        AS t (id, client_id, local_date, weight_kg, sleep_hours, energy, notes, answered_at)
    -- A second answer the same day replaces the first: it is the client's correction.
    ON CONFLICT (client_id, local_date) DO UPDATE SET
        weight_kg = EXCLUDED.weight_kg,
        sleep_hours = EXCLUDED.sleep_hours,
        energy = EXCLUDED.energy,
        notes = EXCLUDED.notes,
        answered_at = EXCLUDED.answered_at
    WHERE c.answered_at <= EXCLUDED.answered_at
    RETURNING c.id, c.client_id, c.local_date, c.weight_kg, c.answered_at
),
weighed AS (
    -- The check-in's weigh-in shares the check-in's id, so a correction moves it.
    INSERT INTO weight_entries AS w (id, client_id, local_date, weight_kg, measured_at)
    SELECT a.id, a.client_id, a.local_date, a.weight_kg, a.answered_at
    FROM answered AS a
    WHERE a.weight_kg IS NOT NULL
    ON CONFLICT (id) DO UPDATE SET
        weight_kg = EXCLUDED.weight_kg, measured_at = EXCLUDED.measured_at
)
DELETE FROM weight_entries AS w
USING answered AS a
WHERE w.id = a.id AND a.weight_kg IS NULL
"""


async def upsert_checkins(conn: asyncpg.Connection, messages: Sequence[CheckinAnswered]) -> None:
    latest = newest_per_key(
        messages,
        lambda m: (m.payload.client_id, m.payload.local_date),
        lambda m: m.payload.answered_at,
    )
    rows = [
        (
            m.id,
            m.payload.client_id,
            m.payload.local_date,
            m.payload.weight_kg,
            m.payload.sleep_hours,
            m.payload.energy,
            m.payload.notes,
            m.payload.answered_at,
        )
        for m in latest
    ]
    await conn.execute(UPSERT_CHECKINS, *columns(rows))


INSERT_MEALS = """
INSERT INTO meal_logs (id, client_id, local_date, description, kcal, protein_g, carbs_g, fat_g,
                       photo_url, logged_at)
SELECT t.id, t.client_id, (t.logged_at AT TIME ZONE c.time_zone)::date, t.description,
       t.kcal, t.protein_g, t.carbs_g, t.fat_g, t.photo_url, t.logged_at
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[],
            $8::text[], $9::timestamptz[])
    AS t (id, client_id, description, kcal, protein_g, carbs_g, fat_g, photo_url, logged_at)
JOIN clients AS c ON c.id = t.client_id
"""


async def insert_meals(conn: asyncpg.Connection, messages: Sequence[MealLogged]) -> None:
    # The day a meal counts for is the client's own calendar day when they ate it.
    rows = [
        (
            m.id,
            m.payload.client_id,
            m.payload.description,
            m.payload.kcal,
            m.payload.protein_g,
            m.payload.carbs_g,
            m.payload.fat_g,
            None if m.payload.photo_url is None else str(m.payload.photo_url),
            m.payload.logged_at,
        )
        for m in messages
    ]
    await conn.execute(INSERT_MEALS, *columns(rows))


INSERT_WORKOUTS = """
INSERT INTO workout_logs (id, client_id, local_date, description, duration_min, logged_at)
SELECT t.id, t.client_id, (t.logged_at AT TIME ZONE c.time_zone)::date, t.description,
       t.duration_min, t.logged_at
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::timestamptz[])
    AS t (id, client_id, description, duration_min, logged_at)
JOIN clients AS c ON c.id = t.client_id
"""


async def insert_workouts(conn: asyncpg.Connection, messages: Sequence[WorkoutLogged]) -> None:
    rows = [
        (
            m.id,
            m.payload.client_id,
            m.payload.description,
            m.payload.duration_min,
            m.payload.logged_at,
        )
        for m in messages
    ]
    await conn.execute(INSERT_WORKOUTS, *columns(rows))


INSERT_DMS = """
INSERT INTO direct_messages (id, client_id, discord_message_id, text, received_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
-- Discord's message id is the natural key: a re-published DM is still one DM.
ON CONFLICT (discord_message_id) DO NOTHING
"""


async def insert_dms(conn: asyncpg.Connection, messages: Sequence[DmReceived]) -> None:
    rows = [
        (
            m.id,
            m.payload.client_id,
            m.payload.discord_message_id,
            m.payload.text,
            m.payload.received_at,
        )
        for m in messages
    ]
    await conn.execute(INSERT_DMS, *columns(rows))


# --- job cards -----------------------------------------------------------------------------

INSERT_CARDS = """
INSERT INTO job_cards (id, client_id, local_date, issued_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::timestamptz[])
ON CONFLICT DO NOTHING
"""

INSERT_CARD_ITEMS = """
INSERT INTO job_card_items (id, card_id, position, label)
SELECT t.id, t.card_id, t.position, t.label
FROM unnest($1::uuid[], $2::uuid[], $3::smallint[], $4::text[]) AS t (id, card_id, position, label)
JOIN job_cards AS j ON j.id = t.card_id
ON CONFLICT DO NOTHING
"""

CONFLICTING_CARDS = """
SELECT t.card_id, j.id AS existing_id, t.local_date
FROM unnest($1::uuid[], $2::uuid[], $3::date[]) AS t (card_id, client_id, local_date)
JOIN job_cards AS j ON j.client_id = t.client_id AND j.local_date = t.local_date
WHERE j.id <> t.card_id
"""


async def insert_job_cards(conn: asyncpg.Connection, messages: Sequence[JobCardIssued]) -> None:
    """Idempotent by card id; a second, different card for a client's day is refused."""
    cards = [
        (m.payload.card_id, m.payload.client_id, m.payload.local_date, m.payload.issued_at)
        for m in messages
    ]
    items = [
        (item.id, m.payload.card_id, item.position, item.label)
        for m in messages
        for item in m.payload.items
    ]
    await conn.execute(INSERT_CARDS, *columns(cards))
    await conn.execute(INSERT_CARD_ITEMS, *columns(items))
    conflicts = await conn.fetch(CONFLICTING_CARDS, *columns([card[:3] for card in cards]))
    if conflicts:
        raise PermanentError(
            "a different job card already exists for that day: "
            + ", ".join(
                f"card {row['card_id']} vs {row['existing_id']} on {row['local_date']}"
                for row in conflicts
            )
        )


UNKNOWN_ITEMS = """
SELECT t.item_id
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS t (item_id, card_id, client_id)
WHERE NOT EXISTS (
    SELECT 1 FROM job_card_items AS i JOIN job_cards AS j ON j.id = i.card_id
    WHERE i.id = t.item_id AND j.id = t.card_id AND j.client_id = t.client_id
)
"""

MARK_ITEMS = """
UPDATE job_card_items AS i SET status = t.status, updated_at = t.marked_at
FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS t (item_id, status, marked_at)
WHERE i.id = t.item_id
  -- The newest answer wins, and "missed" (a close-out, a lapsed deadline) never hides an
  -- answer the client gave: a Done pressed at 23:29 counts even if processed later.
  AND NOT (i.status IN ('done', 'skipped') AND i.updated_at > t.marked_at)
"""


async def mark_items(conn: asyncpg.Connection, messages: Sequence[JobCardItemMarked]) -> None:
    latest = newest_per_key(messages, lambda m: m.payload.item_id, lambda m: m.payload.marked_at)
    unknown = await conn.fetch(
        UNKNOWN_ITEMS,
        *columns([(m.payload.item_id, m.payload.card_id, m.payload.client_id) for m in latest]),
    )
    if unknown:
        # The card may not be recorded yet (its jobcard.issued is retried after this tap).
        ids = ", ".join(str(row["item_id"]) for row in unknown)
        raise RetryLater(f"no such job-card item for that card and client: {ids}")
    rows = [(m.payload.item_id, m.payload.status.value, m.payload.marked_at) for m in latest]
    await conn.execute(MARK_ITEMS, *columns(rows))


CLOSE_OUT = """
UPDATE job_card_items AS i SET status = 'missed', updated_at = t.closed_at
FROM unnest($1::uuid[], $2::date[], $3::timestamptz[]) AS t (client_id, local_date, closed_at)
JOIN job_cards AS j ON j.client_id = t.client_id AND j.local_date = t.local_date
WHERE i.card_id = j.id AND i.status = 'pending'
"""


async def close_out_cards(conn: asyncpg.Connection, messages: Sequence[JobCardClosedOut]) -> None:
    """Every item still pending on the closed day becomes missed (a day with no card is
    nothing to close)."""
    latest = newest_per_key(
        messages,
        lambda m: (m.payload.client_id, m.payload.local_date),
        lambda m: m.payload.closed_at,
    )
    rows = [(m.payload.client_id, m.payload.local_date, m.payload.closed_at) for m in latest]
    await conn.execute(CLOSE_OUT, *columns(rows))


# --- deliveries ----------------------------------------------------------------------------

RECORD_REQUESTED = """
INSERT INTO deliveries AS d (id, client_id, recipient_discord_id, kind, text, created_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                     $6::timestamptz[])
-- The outcome may have been recorded first (it travels on another stream): keep its
-- status and what it says was sent, and fill in what only the request knows.
ON CONFLICT (id) DO UPDATE SET
    client_id = coalesce(d.client_id, EXCLUDED.client_id),
    text = CASE WHEN d.text = '' THEN EXCLUDED.text ELSE d.text END,
    created_at = LEAST(d.created_at, EXCLUDED.created_at),
    updated_at = now()
"""


async def record_requested(conn: asyncpg.Connection, messages: Sequence[DeliveryRequested]) -> None:
    latest = newest_per_key(messages, lambda m: m.payload.delivery_id, lambda m: m.created_at)
    rows = [
        (
            m.payload.delivery_id,
            m.payload.client_id,
            m.payload.recipient_discord_id,
            m.payload.kind.value,
            m.payload.text,
            m.created_at,
        )
        for m in latest
    ]
    await conn.execute(RECORD_REQUESTED, *columns(rows))


RECORD_OUTCOMES = """
INSERT INTO deliveries AS d (id, client_id, recipient_discord_id, kind, text, status, attempts,
                             last_error, discord_message_id, created_at, sent_at)
SELECT t.id, t.client_id, t.recipient, t.kind, coalesce(t.rendered_text, ''), t.status,
       t.attempts, t.error, t.discord_message_id, t.at,
       CASE WHEN t.status IN ('sent', 'dry_run') THEN t.at END
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
            $8::text[], $9::text[], $10::timestamptz[])
    AS t (id, client_id, recipient, kind, rendered_text, status, attempts, error,
          discord_message_id, at)
ON CONFLICT (id) DO UPDATE SET
    status = EXCLUDED.status,
    attempts = EXCLUDED.attempts,
    last_error = coalesce(EXCLUDED.last_error, d.last_error),
    discord_message_id = coalesce(EXCLUDED.discord_message_id, d.discord_message_id),
    text = CASE WHEN EXCLUDED.text = '' THEN d.text ELSE EXCLUDED.text END,
    client_id = coalesce(d.client_id, EXCLUDED.client_id),
    sent_at = coalesce(d.sent_at, EXCLUDED.sent_at),
    updated_at = now()
-- A late report of an earlier attempt never rolls a delivery back, and nothing turns a
-- finished delivery back into "queued".
WHERE EXCLUDED.attempts >= d.attempts AND (EXCLUDED.status <> 'queued' OR d.status = 'queued')
"""


async def record_outcomes(conn: asyncpg.Connection, messages: Sequence[DeliveryOutcome]) -> None:
    latest = newest_per_key(
        messages,
        lambda m: m.payload.delivery_id,
        lambda m: (m.payload.attempts, m.payload.at),
    )
    rows = [
        (
            m.payload.delivery_id,
            m.payload.client_id,
            m.payload.recipient_discord_id,
            m.payload.kind.value,
            m.payload.rendered_text,
            m.payload.status.value,
            m.payload.attempts,
            m.payload.error,
            m.payload.discord_message_id,
            m.payload.at,
        )
        for m in latest
    ]
    await conn.execute(RECORD_OUTCOMES, *columns(rows))


# --- flags ---------------------------------------------------------------------------------

UPSERT_FLAGS = """
INSERT INTO flags AS f (id, client_id, iso_week, code, severity, source, evidence, rationale,
                        suggested_action, created_at)
SELECT t.id, t.client_id, t.iso_week, t.code, t.severity, t.source, t.evidence::jsonb,
       t.rationale, t.suggested_action, t.raised_at
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::timestamptz[])
    AS t (id, client_id, iso_week, code, severity, source, evidence, rationale,
          suggested_action, raised_at)
-- A re-run scan refreshes what it found; status and note are the coach's and stay.
ON CONFLICT (client_id, iso_week, code) DO UPDATE SET
    severity = EXCLUDED.severity,
    source = EXCLUDED.source,
    evidence = EXCLUDED.evidence,
    rationale = EXCLUDED.rationale,
    suggested_action = EXCLUDED.suggested_action,
    updated_at = now()
"""


async def upsert_flags(conn: asyncpg.Connection, messages: Sequence[FlagRaised]) -> None:
    latest = newest_per_key(
        messages,
        lambda m: (m.payload.client_id, m.payload.iso_week, m.payload.code),
        lambda m: m.payload.raised_at,
    )
    rows = [
        (
            m.payload.flag_id,
            m.payload.client_id,
            m.payload.iso_week,
            m.payload.code.value,
            m.payload.severity.value,
            m.payload.source.value,
            json.dumps([e.model_dump(mode="json") for e in m.payload.evidence]),
            m.payload.rationale,
            m.payload.suggested_action,
            m.payload.raised_at,
        )
        for m in latest
    ]
    await conn.execute(UPSERT_FLAGS, *columns(rows))
