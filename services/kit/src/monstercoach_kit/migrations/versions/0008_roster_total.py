"""Roster total: how many clients there are, in one row kept by statement triggers on
``clients``, so that a page of the whole roster reads its total instead of counting every
client (a ``count(*)`` of 0.08 ms a page at 1,000 clients, 0.6 to 0.8 ms at 10,000; see
docs/benchmarks.md and decision 0014).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    CREATE TABLE roster_total (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        clients   bigint NOT NULL CHECK (clients >= 0)
    )
    """,
    "INSERT INTO roster_total (clients) SELECT count(*) FROM clients",
    """
    -- Added to (or, with a negative n, taken from) the total. An upsert rather than an
    -- UPDATE: a TRUNCATE of every table at once (the tests' clean-up) empties this one
    -- too, and the trigger on clients puts it back. Statements that add or remove clients
    -- take the row's lock in turn: adding clients is a coach's occasional action, or one
    -- COPY of many. (PostgreSQL checks the row proposed for insertion before it looks
    -- for the conflict: it must hold a valid total, hence the greatest.)
    CREATE FUNCTION add_to_roster_total(n bigint) RETURNS void LANGUAGE sql AS $$
        INSERT INTO roster_total (clients) VALUES (greatest(n, 0))
        ON CONFLICT (singleton) DO UPDATE SET clients = roster_total.clients + n
    $$
    """,
    """
    CREATE FUNCTION count_added_clients() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM add_to_roster_total((SELECT count(*) FROM added));
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION count_removed_clients() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM add_to_roster_total(-(SELECT count(*) FROM removed));
        RETURN NULL;
    END
    $$
    """,
    """
    -- TRUNCATE fires no row triggers and has no transition table.
    CREATE FUNCTION clear_roster_total() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO roster_total (clients) VALUES (0)
        ON CONFLICT (singleton) DO UPDATE SET clients = 0;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER clients_count_added AFTER INSERT ON clients
        REFERENCING NEW TABLE AS added
        FOR EACH STATEMENT EXECUTE FUNCTION count_added_clients()
    """,
    """
    CREATE TRIGGER clients_count_removed AFTER DELETE ON clients
        REFERENCING OLD TABLE AS removed
        FOR EACH STATEMENT EXECUTE FUNCTION count_removed_clients()
    """,
    """
    CREATE TRIGGER clients_count_truncated AFTER TRUNCATE ON clients
        FOR EACH STATEMENT EXECUTE FUNCTION clear_roster_total()
    """,
]

DOWNGRADE = [
    "DROP TRIGGER clients_count_truncated ON clients",
    "DROP TRIGGER clients_count_removed ON clients",
    "DROP TRIGGER clients_count_added ON clients",
    "DROP FUNCTION clear_roster_total(), count_removed_clients(), count_added_clients(),"
    " add_to_roster_total(bigint)",
    "DROP TABLE roster_total",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
