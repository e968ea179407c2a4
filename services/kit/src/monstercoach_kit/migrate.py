"""Schema migrations with Alembic, written as raw SQL, run over asyncpg.

Alembic keeps the revision graph and the ``alembic_version`` row; each revision is
plain ``op.execute`` SQL (no ORM models, no autogenerate). Running ``upgrade`` at head
is a no-op.
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("monstercoach_kit") / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``. Blocking: call it outside an event loop."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config(""))
    return script.get_current_head()

