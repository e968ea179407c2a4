"""The fire ledger without a foreign key to clients: a client's fires still go with them.

A foreign-key check is a row lock on the client for every inserted fire, 17 µs each: 40 %
of the ledger statement of a 1,000-fire tick (docs/benchmarks.md, decision 0011). Every
writer of the ledger names existing clients on its own (the tick's fires come from
``next_fires``, which keeps its key; an answer checks its clients first), so the key
only guarded deletion: a statement trigger deletes a deleted client's fires instead.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    ALTER TABLE trigger_fires DROP CONSTRAINT trigger_fires_client_id_fkey
    """,
    """
    CREATE FUNCTION delete_clients_fires() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM trigger_fires AS f USING deleted AS d WHERE f.client_id = d.id;
        RETURN NULL;
    END
    $$
    """,
    """
    -- A statement trigger runs after the row-level ones, so after the cascade to
    -- next_fires, which waits for a tick that holds the client's due pairs: the tick's
    -- fires are committed, and seen here, by then.
    CREATE TRIGGER clients_delete_fires AFTER DELETE ON clients
        REFERENCING OLD TABLE AS deleted
        FOR EACH STATEMENT EXECUTE FUNCTION delete_clients_fires()
    """,
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER clients_delete_fires ON clients")
    op.execute("DROP FUNCTION delete_clients_fires()")
    # Fires of clients deleted while there was no key (a race the trigger cannot see).
    op.execute(
        "DELETE FROM trigger_fires f"
        " WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = f.client_id)"
    )
    op.execute(
        "ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_client_id_fkey"
        " FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE"
    )
