"""The timeline's one statement: every kind of entry as ``(kind, at, key, data)``, merged
and ordered newest first, so a page is one index-backed read per table per request.

Entries are ordered by ``(at, kind, key)`` descending; a page ends with the cursor of its
last entry and the next page starts strictly after it, so entries sharing an instant are
never skipped nor repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from .schemas import ENTRY_ADAPTER, EntryKind, TimelineEntry

TIMELINE = """
WITH entries AS (
    SELECT 'checkin' AS kind, k.answered_at AS at, k.id::text AS key,
           jsonb_build_object('id', k.id, 'local_date', k.local_date, 'weight_kg', k.weight_kg,
                              'sleep_hours', k.sleep_hours, 'energy', k.energy,
                              'notes', k.notes) AS data
    FROM checkins AS k WHERE k.client_id = $1 AND 'checkin' = ANY ($2::text[])
    UNION ALL
    SELECT 'meal', m.logged_at, m.id::text,
           jsonb_build_object('id', m.id, 'local_date', m.local_date,
                              'description', m.description, 'kcal', m.kcal,
                              'protein_g', m.protein_g, 'carbs_g', m.carbs_g, 'fat_g', m.fat_g,
                              'photo_url', m.photo_url)
    FROM meal_logs AS m WHERE m.client_id = $1 AND 'meal' = ANY ($2::text[])
    UNION ALL
    SELECT 'workout', w.logged_at, w.id::text,
           jsonb_build_object('id', w.id, 'local_date', w.local_date,
                              'description', w.description, 'duration_min', w.duration_min)
    FROM workout_logs AS w WHERE w.client_id = $1 AND 'workout' = ANY ($2::text[])
    UNION ALL
    SELECT 'weight', e.measured_at, e.id::text,
           jsonb_build_object('id', e.id, 'local_date', e.local_date, 'weight_kg', e.weight_kg)
    FROM weight_entries AS e WHERE e.client_id = $1 AND 'weight' = ANY ($2::text[])
    UNION ALL
    SELECT 'job_card', j.issued_at, j.id::text,
           jsonb_build_object(
               'id', j.id, 'local_date', j.local_date,
               'items', (SELECT coalesce(jsonb_agg(
                                    jsonb_build_object('id', i.id, 'position', i.position,
                                                       'label', i.label, 'status', i.status,
                                                       'updated_at', i.updated_at)
                                    ORDER BY i.position), '[]')
                         FROM job_card_items AS i WHERE i.card_id = j.id))
    FROM job_cards AS j WHERE j.client_id = $1 AND 'job_card' = ANY ($2::text[])
    UNION ALL
    SELECT 'delivery', d.created_at, d.id::text,
           jsonb_build_object('id', d.id, 'delivery_kind', d.kind, 'status', d.status,
                              'text', d.text, 'attempts', d.attempts,
                              'last_error', d.last_error, 'sent_at', d.sent_at)
    FROM deliveries AS d WHERE d.client_id = $1 AND 'delivery' = ANY ($2::text[])
    UNION ALL
    SELECT 'missed', f.scheduled_for, f.engine || '.' || f.trigger || ':' || f.local_date,
           jsonb_build_object('id', f.engine || '.' || f.trigger || ':' || f.local_date,
                              'engine', f.engine, 'trigger', f.trigger,
                              'local_date', f.local_date, 'reason', f.reason,
                              'deadline_at', f.deadline_at)
    FROM trigger_fires AS f
    WHERE f.client_id = $1 AND f.status = 'missed' AND 'missed' = ANY ($2::text[])
    UNION ALL
    SELECT 'dm', x.received_at, x.id::text,
           jsonb_build_object('id', x.id, 'text', x.text)
    FROM direct_messages AS x WHERE x.client_id = $1 AND 'dm' = ANY ($2::text[])
),
total AS (
    SELECT count(*) AS total FROM entries
)
-- One row even for an empty page, so the total always comes back.
SELECT t.total, p.kind, p.at, p.key, p.data
FROM total AS t
LEFT JOIN LATERAL (
    SELECT kind, at, key, data
    FROM entries
    WHERE $3::timestamptz IS NULL OR (at, kind, key) < ($3::timestamptz, $4::text, $5::text)
    ORDER BY at DESC, kind DESC, key DESC
    LIMIT $6
) AS p ON true
"""


@dataclass(frozen=True)
class Position:
    """Where a page ends: the ordering key of its last entry."""

    at: datetime
    kind: str
    key: str


async def timeline(
    conn: asyncpg.Connection,
    client_id: UUID,
    kinds: Sequence[EntryKind],
    before: Position | None = None,
    limit: int | None = None,
) -> tuple[list[tuple[TimelineEntry, Position]], int]:
    """Entries of ``kinds`` strictly before ``before`` (all when ``limit`` is None),
    newest first, each with its position; and how many there are in all."""
    rows = await conn.fetch(
        TIMELINE,
        client_id,
        [kind.value for kind in kinds],
        before and before.at,
        before and before.kind,
        before and before.key,
        limit,
    )
    entries = [
        (
            ENTRY_ADAPTER.validate_python({**row["data"], "kind": row["kind"], "at": row["at"]}),
            Position(row["at"], row["kind"], row["key"]),
        )
        for row in rows
        if row["kind"] is not None
    ]
    return entries, rows[0]["total"]
