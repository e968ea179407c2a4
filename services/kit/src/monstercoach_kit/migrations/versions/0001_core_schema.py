"""Core schema: coaches, clients, logs, job cards, flags, deliveries, the fire ledger,
the idempotency keys and the coach audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Alembic runs each statement as one prepared statement over asyncpg: one per entry.
UPGRADE = [
    """
    CREATE TABLE coaches (
        id              uuid PRIMARY KEY,
        discord_user_id text NOT NULL UNIQUE CHECK (discord_user_id ~ '^[0-9]{15,21}$'),
        display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
        time_zone       text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE clients (
        id               uuid PRIMARY KEY,
        coach_id         uuid REFERENCES coaches (id),
        discord_user_id  text NOT NULL UNIQUE CHECK (discord_user_id ~ '^[0-9]{15,21}$'),
        display_name     text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
        time_zone        text NOT NULL,
        status           text NOT NULL DEFAULT 'active'
                         CHECK (status IN ('onboarding', 'active', 'paused', 'archived')),
        goal             text NOT NULL DEFAULT 'fat_loss'
                         CHECK (goal IN ('fat_loss', 'muscle_gain', 'recomp', 'maintenance',
                                         'performance')),
        goal_weight_kg   numeric(5, 1) CHECK (goal_weight_kg BETWEEN 20 AND 400),
        target_kcal      integer NOT NULL DEFAULT 2200 CHECK (target_kcal BETWEEN 0 AND 20000),
        target_protein_g integer NOT NULL DEFAULT 150 CHECK (target_protein_g BETWEEN 0 AND 2000),
        target_carbs_g   integer NOT NULL DEFAULT 220 CHECK (target_carbs_g BETWEEN 0 AND 2000),
        target_fat_g     integer NOT NULL DEFAULT 70 CHECK (target_fat_g BETWEEN 0 AND 2000),
        target_steps     integer NOT NULL DEFAULT 8000 CHECK (target_steps BETWEEN 0 AND 100000),
        target_water_ml  integer NOT NULL DEFAULT 2500 CHECK (target_water_ml BETWEEN 0 AND 10000),
        training_days    text[] NOT NULL DEFAULT '{mon,wed,fri}'
                         CHECK (training_days <@ '{mon,tue,wed,thu,fri,sat,sun}'::text[]),
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        last_activity_at timestamptz
    )
    """,
    """
    CREATE INDEX clients_status_idx ON clients (status)
    """,
    """
    CREATE INDEX clients_coach_idx ON clients (coach_id)
    """,
    """
    CREATE TABLE checkins (
        id          uuid PRIMARY KEY,
        client_id   uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        local_date  date NOT NULL,
        weight_kg   numeric(5, 1) CHECK (weight_kg BETWEEN 20 AND 400),
        sleep_hours numeric(4, 1) CHECK (sleep_hours BETWEEN 0 AND 24),
        energy      smallint CHECK (energy BETWEEN 1 AND 10),
        notes       text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
        answered_at timestamptz NOT NULL,
        UNIQUE (client_id, local_date)
    )
    """,
    """
    CREATE TABLE meal_logs (
        id          uuid PRIMARY KEY,
        client_id   uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        local_date  date NOT NULL,
        description text NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
        kcal        integer CHECK (kcal BETWEEN 0 AND 20000),
        protein_g   integer CHECK (protein_g BETWEEN 0 AND 2000),
        carbs_g     integer CHECK (carbs_g BETWEEN 0 AND 2000),
        fat_g       integer CHECK (fat_g BETWEEN 0 AND 2000),
        photo_url   text CHECK (length(photo_url) <= 2000),
        logged_at   timestamptz NOT NULL
    )
    """,
    """
    CREATE INDEX meal_logs_client_date_idx ON meal_logs (client_id, local_date)
    """,
    """
    CREATE TABLE workout_logs (
        id           uuid PRIMARY KEY,
        client_id    uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        local_date   date NOT NULL,
        description  text NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
        duration_min integer CHECK (duration_min BETWEEN 1 AND 600),
        logged_at    timestamptz NOT NULL
    )
    """,
    """
    CREATE INDEX workout_logs_client_date_idx ON workout_logs (client_id, local_date)
    """,
    """
    CREATE TABLE weight_entries (
        id          uuid PRIMARY KEY,
        client_id   uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        local_date  date NOT NULL,
        weight_kg   numeric(5, 1) NOT NULL CHECK (weight_kg BETWEEN 20 AND 400),
        measured_at timestamptz NOT NULL
    )
    """,
    """
    CREATE INDEX weight_entries_client_date_idx ON weight_entries (client_id, local_date)
    """,
    """
    CREATE TABLE job_cards (
        id         uuid PRIMARY KEY,
        client_id  uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        local_date date NOT NULL,
        issued_at  timestamptz NOT NULL,
        UNIQUE (client_id, local_date)
    )
    """,
    """
    CREATE TABLE job_card_items (
        id         uuid PRIMARY KEY,
        card_id    uuid NOT NULL REFERENCES job_cards (id) ON DELETE CASCADE,
        position   smallint NOT NULL CHECK (position BETWEEN 0 AND 50),
        label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 120),
        status     text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'done', 'skipped', 'missed')),
        updated_at timestamptz,
        UNIQUE (card_id, position)
    )
    """,
    """
    -- Close-out finds what is still pending without scanning finished cards.
    CREATE INDEX job_card_items_pending_idx ON job_card_items (card_id)
        WHERE status = 'pending'
    """,
    """
    CREATE TABLE flags (
        id               uuid PRIMARY KEY,
        client_id        uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        iso_week         text NOT NULL CHECK (iso_week ~ '^[0-9]{4}-W[0-9]{2}$'),
        code             text NOT NULL,
        severity         text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
        source           text NOT NULL CHECK (source IN ('rules', 'dspy', 'system')),
        evidence         jsonb NOT NULL DEFAULT '[]',
        rationale        text NOT NULL DEFAULT '',
        suggested_action text NOT NULL DEFAULT '',
        status           text NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'acknowledged', 'resolved')),
        status_note      text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        -- A scan re-run for the same week never raises the same flag twice.
        UNIQUE (client_id, iso_week, code)
    )
    """,
    """
    CREATE INDEX flags_open_idx ON flags (severity, created_at DESC) WHERE status <> 'resolved'
    """,
    """
    CREATE INDEX flags_week_idx ON flags (iso_week)
    """,
    """
    CREATE TABLE deliveries (
        id                   uuid PRIMARY KEY,
        client_id            uuid REFERENCES clients (id) ON DELETE CASCADE,
        recipient_discord_id text NOT NULL,
        kind                 text NOT NULL,
        text                 text NOT NULL,
        status               text NOT NULL DEFAULT 'queued'
                             CHECK (status IN ('queued', 'sent', 'failed', 'missed', 'dry_run')),
        attempts             integer NOT NULL DEFAULT 0,
        last_error           text,
        discord_message_id   text,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        sent_at              timestamptz
    )
    """,
    """
    CREATE INDEX deliveries_client_idx ON deliveries (client_id, created_at DESC)
    """,
    """
    CREATE INDEX deliveries_status_idx ON deliveries (status, created_at DESC)
    """,
    """
    CREATE TABLE direct_messages (
        id                 uuid PRIMARY KEY,
        client_id          uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        discord_message_id text NOT NULL UNIQUE,
        text               text NOT NULL CHECK (length(text) BETWEEN 1 AND 2000),
        received_at        timestamptz NOT NULL
    )
    """,
    """
    CREATE INDEX direct_messages_client_idx ON direct_messages (client_id, received_at DESC)
    """,
    """
    -- The scheduler's ledger: one row per (engine, trigger, client, local date), so a
    -- repeated tick or a second scheduler can never fire the same trigger twice.
    CREATE TABLE trigger_fires (
        engine        text NOT NULL,
        trigger       text NOT NULL,
        client_id     uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        local_date    date NOT NULL,
        scheduled_for timestamptz NOT NULL,
        fired_at      timestamptz,
        enqueued_at   timestamptz,
        deadline_at   timestamptz,
        status        text NOT NULL DEFAULT 'fired'
                      CHECK (status IN ('fired', 'enqueued', 'answered', 'missed')),
        reason        text,
        PRIMARY KEY (engine, trigger, client_id, local_date)
    )
    """,
    """
    -- A fire recorded but not yet enqueued (crash, Redis down) is found again cheaply.
    CREATE INDEX trigger_fires_unenqueued_idx ON trigger_fires (scheduled_for)
        WHERE enqueued_at IS NULL AND status = 'fired'
    """,
    """
    -- Deadlines: open fires ordered by when their answer window closes.
    CREATE INDEX trigger_fires_deadline_idx ON trigger_fires (deadline_at)
        WHERE status IN ('fired', 'enqueued') AND deadline_at IS NOT NULL
    """,
    """
    CREATE INDEX trigger_fires_client_idx ON trigger_fires (client_id, local_date DESC)
    """,
    """
    CREATE TABLE processed_messages (
        scope           text NOT NULL,
        idempotency_key text NOT NULL,
        processed_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, idempotency_key)
    )
    """,
    """
    CREATE INDEX processed_messages_age_idx ON processed_messages (processed_at)
    """,
    """
    CREATE TABLE audit_log (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        coach_discord_id text NOT NULL,
        action           text NOT NULL,
        target           text,
        details          jsonb NOT NULL DEFAULT '{}',
        at               timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE INDEX audit_log_at_idx ON audit_log (at DESC)
    """,
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("""
        DROP TABLE audit_log, processed_messages, trigger_fires, direct_messages, deliveries,
            flags, job_card_items, job_cards, weight_entries, workout_logs, meal_logs,
            checkins, clients, coaches
    """)
