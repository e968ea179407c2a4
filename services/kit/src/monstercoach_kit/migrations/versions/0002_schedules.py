"""Schedules: per-client overrides of the LST, each pair's next fire in UTC, and
``updated_at`` kept current by the database so the scheduler can follow changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    -- Bumped by the database on every update, whoever the writer is, so the scheduler's
    -- "what changed since" query can never miss a change a writer forgot to stamp.
    CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.updated_at := now();
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER clients_touch_updated_at BEFORE UPDATE ON clients
        FOR EACH ROW EXECUTE FUNCTION touch_updated_at()
    """,
    """
    CREATE INDEX clients_updated_idx ON clients (updated_at)
    """,
    """
    -- A coach's change to one client's schedule: a trigger turned off, or moved to another
    -- local time or other weekdays. NULL means "the LST's default". Written by the api.
    CREATE TABLE schedule_overrides (
        client_id  uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        engine     text NOT NULL,
        trigger    text NOT NULL,
        enabled    boolean NOT NULL DEFAULT true,
        local_time time CHECK (local_time = date_trunc('minute', local_time)),
        weekdays   text[] CHECK (
                       cardinality(weekdays) BETWEEN 1 AND 7
                       AND weekdays <@ '{mon,tue,wed,thu,fri,sat,sun}'::text[]),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (client_id, engine, trigger)
    )
    """,
    """
    CREATE TRIGGER schedule_overrides_touch_updated_at BEFORE UPDATE ON schedule_overrides
        FOR EACH ROW EXECUTE FUNCTION touch_updated_at()
    """,
    """
    CREATE INDEX schedule_overrides_updated_idx ON schedule_overrides (updated_at)
    """,
    """
    -- The scheduler's plan: for each active (client, trigger) pair, the UTC instant of its
    -- next fire and the client-local date it belongs to. The tick reads only the rows that
    -- are due (an index range), so its cost follows the due pairs, not the roster.
    CREATE TABLE next_fires (
        client_id  uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        engine     text NOT NULL,
        trigger    text NOT NULL,
        fire_at    timestamptz NOT NULL,
        local_date date NOT NULL,
        PRIMARY KEY (client_id, engine, trigger)
    )
    """,
    """
    CREATE INDEX next_fires_due_idx ON next_fires (fire_at)
    """,
    """
    -- Scheduler bookkeeping that must survive a restart (last tick, change watermark).
    CREATE TABLE scheduler_state (
        key        text PRIMARY KEY,
        at         timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    )
    """,
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE scheduler_state, next_fires, schedule_overrides")
    op.execute("DROP INDEX clients_updated_idx")
    op.execute("DROP TRIGGER clients_touch_updated_at ON clients")
    op.execute("DROP FUNCTION touch_updated_at()")
