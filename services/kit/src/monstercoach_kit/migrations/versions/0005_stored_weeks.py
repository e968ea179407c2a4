"""Stored weeks: every client's 7-day compliance window, which a roster row reads instead
of computing it (decision 0012).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    -- Each client's 7-day compliance window as of a local day, written by the api's
    -- background refresh with client_rates (the same computation, in one statement, at
    -- most once a minute): a roster row reads it while local_date is the client's local
    -- today and the row is not stale, and computes the week otherwise. Apart from
    -- client_rates so that the compliance sort, which reads every client's rate, scans
    -- a narrow table.
    CREATE TABLE client_weeks (
        client_id  uuid PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
        -- The client's local today the window was computed for: the 7 days before it.
        local_date date NOT NULL,
        due        integer NOT NULL CHECK (due >= 0),
        done       integer NOT NULL CHECK (done BETWEEN 0 AND due),
        -- The 7 days, oldest first, as the roster row writes them (DayCompliance).
        days       json NOT NULL,
        -- Set when the api records an event about one of the window's days (a late
        -- answer), cleared by the next refresh: rows compute the week in between.
        stale      boolean NOT NULL DEFAULT false
    )
    """,
    # No weeks until the next refresh (within a minute of the next roster request): rows
    # compute theirs until then, and the ranking in client_rates stays in use.
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE client_weeks")
