"""Roster keys: every client's roster sort keys in one narrow table, so that a roster page
reads its ids from an index in order instead of joining and sorting every client
(decision 0013).

``client_rates`` becomes ``roster_keys``: a row for every client (kept by triggers on
``clients``), with the name key (``lower(display_name)``) beside the 7-day rate, which
is null where nothing was due or nothing has been computed yet.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = [
    "ALTER TABLE client_rates RENAME TO roster_keys",
    "ALTER INDEX client_rates_pkey RENAME TO roster_keys_pkey",
    "ALTER TABLE roster_keys RENAME CONSTRAINT client_rates_client_id_fkey"
    " TO roster_keys_client_id_fkey",
    """
    -- Null: nothing due in the week, or not computed yet (a client added since the api's
    -- last refresh). Such clients sort last in both directions.
    ALTER TABLE roster_keys ALTER COLUMN rate DROP NOT NULL, ADD COLUMN name_key text
    """,
    """
    INSERT INTO roster_keys (client_id, rate) SELECT id, NULL FROM clients
    ON CONFLICT (client_id) DO NOTHING
    """,
    """
    UPDATE roster_keys AS k SET name_key = lower(c.display_name)
    FROM clients AS c WHERE c.id = k.client_id
    """,
    "ALTER TABLE roster_keys ALTER COLUMN name_key SET NOT NULL",
    """
    -- A new client's keys: their name at once, their rate at the api's next refresh. A
    -- statement trigger, so that a COPY of many clients adds their keys in one INSERT.
    CREATE FUNCTION add_roster_keys() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO roster_keys (client_id, name_key)
        SELECT n.id, lower(n.display_name) FROM added AS n;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER clients_add_roster_keys AFTER INSERT ON clients
        REFERENCING NEW TABLE AS added
        FOR EACH STATEMENT EXECUTE FUNCTION add_roster_keys()
    """,
    """
    -- A row trigger with a WHEN clause (transition tables do not go with a column list):
    -- the other updates of clients, last_activity_at above all, never call it.
    CREATE FUNCTION rename_roster_keys() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE roster_keys SET name_key = lower(NEW.display_name) WHERE client_id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER clients_rename_roster_keys AFTER UPDATE OF display_name ON clients
        FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
        EXECUTE FUNCTION rename_roster_keys()
    """,
    # Each sort's order in each direction, ties broken by name then id (ascending both
    # ways) as the page's ORDER BY does; read index-only (the expression index on
    # clients, which the bot's lists use, cannot be: it does not hold the name).
    "CREATE INDEX roster_keys_name_asc_idx ON roster_keys (name_key ASC, client_id)",
    "CREATE INDEX roster_keys_name_desc_idx ON roster_keys (name_key DESC, client_id)",
    "CREATE INDEX roster_keys_rate_asc_idx"
    " ON roster_keys (rate ASC NULLS LAST, name_key, client_id)",
    "CREATE INDEX roster_keys_rate_desc_idx"
    " ON roster_keys (rate DESC NULLS LAST, name_key, client_id)",
    # A changed rate is a new row version in every index (rate is indexed, so never a HOT
    # update), and until a vacuum marks the page all-visible again each index entry is
    # checked against the table: 0.2 -> 0.8 ms to read 1,000 names after one refresh that
    # rewrote every rate. Vacuumed after 50 changed rows rather than 20 % of the roster
    # (each vacuum reads a table of ~16 pages per 1,000 clients).
    "ALTER TABLE roster_keys SET (autovacuum_vacuum_scale_factor = 0,"
    " autovacuum_vacuum_threshold = 50, autovacuum_vacuum_insert_scale_factor = 0,"
    " autovacuum_vacuum_insert_threshold = 50)",
]

DOWNGRADE = [
    "ALTER TABLE roster_keys RESET (autovacuum_vacuum_scale_factor,"
    " autovacuum_vacuum_threshold, autovacuum_vacuum_insert_scale_factor,"
    " autovacuum_vacuum_insert_threshold)",
    "DROP INDEX roster_keys_rate_desc_idx, roster_keys_rate_asc_idx,"
    " roster_keys_name_desc_idx, roster_keys_name_asc_idx",
    "DROP TRIGGER clients_rename_roster_keys ON clients",
    "DROP FUNCTION rename_roster_keys()",
    "DROP TRIGGER clients_add_roster_keys ON clients",
    "DROP FUNCTION add_roster_keys()",
    # client_rates held only the clients with a rate.
    "DELETE FROM roster_keys WHERE rate IS NULL",
    "ALTER TABLE roster_keys DROP COLUMN name_key, ALTER COLUMN rate SET NOT NULL",
    "ALTER TABLE roster_keys RENAME CONSTRAINT roster_keys_client_id_fkey"
    " TO client_rates_client_id_fkey",
    "ALTER INDEX roster_keys_pkey RENAME TO client_rates_pkey",
    "ALTER TABLE roster_keys RENAME TO client_rates",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
