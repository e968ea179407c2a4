"""Schedules: per-client overrides of the LST, each pair's next fire in UTC, and
``updated_at``/``schedule_changed_at`` kept by the database so the scheduler can follow
changes; the
fire ledger learns which missed fires have been reported.

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
    -- When a client's zone or status last changed (or their overrides, below): the one
    -- watermark the scheduler follows. Not updated_at, which every logged meal bumps.
    ALTER TABLE clients ADD COLUMN schedule_changed_at timestamptz NOT NULL DEFAULT now()
    """,
    """
    CREATE INDEX clients_schedule_changed_idx ON clients (schedule_changed_at)
    """,
    """
    CREATE FUNCTION touch_schedule_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.schedule_changed_at := now();
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER clients_touch_schedule_changed BEFORE UPDATE OF time_zone, status ON clients
        FOR EACH ROW
        WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone
              OR OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION touch_schedule_changed()
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
    -- Any change to a client's overrides (a delete included) is a change to the client's
    -- schedule, so the scheduler follows one watermark: clients.schedule_changed_at.
    CREATE FUNCTION touch_override_client() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE clients SET schedule_changed_at = now()
         WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.client_id ELSE NEW.client_id END;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER schedule_overrides_touch_client
        AFTER INSERT OR UPDATE OR DELETE ON schedule_overrides
        FOR EACH ROW EXECUTE FUNCTION touch_override_client()
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
    -- Scheduler bookkeeping that must survive a restart (change watermark, LST version).
    CREATE TABLE scheduler_state (
        key        text PRIMARY KEY,
        at         timestamptz,
        value      text,
        updated_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    -- Coach-level fires (the weekly scan): one row per trigger and coach-local date.
    CREATE TABLE coach_fires (
        engine        text NOT NULL,
        trigger       text NOT NULL,
        local_date    date NOT NULL,
        scheduled_for timestamptz NOT NULL,
        fired_at      timestamptz NOT NULL,
        status        text NOT NULL CHECK (status IN ('fired', 'enqueued', 'missed')),
        reason        text,
        PRIMARY KEY (engine, trigger, local_date)
    )
    """,
    """
    -- When the fire.missed event for a missed fire was published; NULL = still owed.
    ALTER TABLE trigger_fires ADD COLUMN reported_at timestamptz
    """,
    """
    DROP INDEX trigger_fires_unenqueued_idx
    """,
    """
    -- What the scheduler still owes the bus: fires not yet enqueued (a crash, Redis down)
    -- and missed fires not yet reported. Small, so each tick finds them cheaply.
    CREATE INDEX trigger_fires_owed_idx ON trigger_fires (scheduled_for)
        WHERE (status = 'fired' AND enqueued_at IS NULL)
           OR (status = 'missed' AND reported_at IS NULL)
    """,
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP INDEX trigger_fires_owed_idx")
    op.execute(
        "CREATE INDEX trigger_fires_unenqueued_idx ON trigger_fires (scheduled_for)"
        " WHERE enqueued_at IS NULL AND status = 'fired'"
    )
    op.execute("ALTER TABLE trigger_fires DROP COLUMN reported_at")
    op.execute("DROP TABLE coach_fires, scheduler_state, next_fires, schedule_overrides")
    op.execute("DROP FUNCTION touch_override_client()")
    op.execute("DROP TRIGGER clients_touch_schedule_changed ON clients")
    op.execute("DROP FUNCTION touch_schedule_changed()")
    op.execute("ALTER TABLE clients DROP COLUMN schedule_changed_at")
    op.execute("DROP TRIGGER clients_touch_updated_at ON clients")
    op.execute("DROP FUNCTION touch_updated_at()")
