"""Roster ranking: the name sort as an index, and every client's 7-day compliance rate
stored for the compliance sort, with when it was computed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    -- The roster's default sort: a page reads the clients in this order and stops after
    -- offset + limit rows instead of sorting the whole roster. id breaks ties between
    -- equal names, as the page's ORDER BY does.
    CREATE INDEX clients_name_idx ON clients (lower(display_name), id)
    """,
    """
    -- Each client's 7-day compliance rate, written in the background by the api (at most
    -- once a minute) so that a page sorted by it joins a table instead of computing the
    -- whole roster's week. A client with nothing due in the week has no row.
    CREATE TABLE client_rates (
        client_id uuid PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
        rate      double precision NOT NULL
    )
    """,
    """
    -- One row: the instant client_rates was computed as of. It survives a restart, so a
    -- new api process serves the stored ranking at once rather than waiting for its own.
    CREATE TABLE client_rates_state (
        singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        computed_at timestamptz NOT NULL
    )
    """,
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE client_rates_state, client_rates")
    op.execute("DROP INDEX clients_name_idx")
