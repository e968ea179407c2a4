"""Roster flag counts: each client's unresolved flags by severity in ``roster_keys``, kept
by triggers on ``flags``, so that Battle Station's default view (most flagged first) reads
its page from an index like the name and compliance sorts (decision 0013).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    ALTER TABLE roster_keys
        ADD COLUMN flags_high   integer NOT NULL DEFAULT 0 CHECK (flags_high >= 0),
        ADD COLUMN flags_medium integer NOT NULL DEFAULT 0 CHECK (flags_medium >= 0),
        ADD COLUMN flags_low    integer NOT NULL DEFAULT 0 CHECK (flags_low >= 0)
    """,
    """
    -- The counts of the clients in ``changed`` (flags inserted, updated or deleted by one
    -- statement), counted again from their flags: exact whatever the statement did. A
    -- flag's client never changes (it is part of the flag's key with the week and code).
    CREATE FUNCTION count_roster_flags() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE roster_keys AS k
        SET flags_high = n.high, flags_medium = n.medium, flags_low = n.low
        FROM (
            SELECT c.client_id,
                   count(f.id) FILTER (WHERE f.severity = 'high') AS high,
                   count(f.id) FILTER (WHERE f.severity = 'medium') AS medium,
                   count(f.id) FILTER (WHERE f.severity = 'low') AS low
            FROM (SELECT DISTINCT client_id FROM changed) AS c
            LEFT JOIN flags AS f ON f.client_id = c.client_id AND f.status <> 'resolved'
            GROUP BY c.client_id
        ) AS n
        WHERE k.client_id = n.client_id
          AND (k.flags_high, k.flags_medium, k.flags_low)
              IS DISTINCT FROM (n.high, n.medium, n.low);
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER flags_count_inserted AFTER INSERT ON flags
        REFERENCING NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION count_roster_flags()
    """,
    """
    CREATE TRIGGER flags_count_updated AFTER UPDATE ON flags
        REFERENCING NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION count_roster_flags()
    """,
    """
    CREATE TRIGGER flags_count_deleted AFTER DELETE ON flags
        REFERENCING OLD TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION count_roster_flags()
    """,
    """
    -- TRUNCATE fires no row triggers and has no transition table.
    CREATE FUNCTION clear_roster_flags() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE roster_keys SET flags_high = 0, flags_medium = 0, flags_low = 0
        WHERE flags_high + flags_medium + flags_low > 0;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER flags_count_truncated AFTER TRUNCATE ON flags
        FOR EACH STATEMENT EXECUTE FUNCTION clear_roster_flags()
    """,
    """
    UPDATE roster_keys AS k
    SET flags_high = n.high, flags_medium = n.medium, flags_low = n.low
    FROM (
        SELECT client_id,
               count(*) FILTER (WHERE severity = 'high') AS high,
               count(*) FILTER (WHERE severity = 'medium') AS medium,
               count(*) FILTER (WHERE severity = 'low') AS low
        FROM flags WHERE status <> 'resolved' GROUP BY client_id
    ) AS n
    WHERE k.client_id = n.client_id
    """,
    # The open-flags order in each direction, ties by name then id like the other sorts.
    "CREATE INDEX roster_keys_flags_asc_idx"
    " ON roster_keys (flags_high, flags_medium, flags_low, name_key, client_id)",
    "CREATE INDEX roster_keys_flags_desc_idx ON roster_keys"
    " (flags_high DESC, flags_medium DESC, flags_low DESC, name_key, client_id)",
]

DOWNGRADE = [
    "DROP INDEX roster_keys_flags_desc_idx, roster_keys_flags_asc_idx",
    "DROP TRIGGER flags_count_truncated ON flags",
    "DROP FUNCTION clear_roster_flags()",
    "DROP TRIGGER flags_count_deleted ON flags",
    "DROP TRIGGER flags_count_updated ON flags",
    "DROP TRIGGER flags_count_inserted ON flags",
    "DROP FUNCTION count_roster_flags()",
    "ALTER TABLE roster_keys DROP COLUMN flags_low, DROP COLUMN flags_medium,"
    " DROP COLUMN flags_high",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
