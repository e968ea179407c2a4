"""Schema migrations with Alembic, written as raw SQL, run over asyncpg.

Alembic keeps the revision graph and the ``alembic_version`` row; each revision is
plain ``op.execute`` SQL (no ORM models, no autogenerate). Running ``upgrade`` at head
is a no-op.
"""

from __future__ import annotations

import asyncio
import re
from importlib.resources import files

import asyncpg
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


async def _create_database_if_missing(database_url: str) -> bool:
    try:
        conn = await asyncpg.connect(database_url)
    except asyncpg.InvalidCatalogNameError:
        pass
    else:
        await conn.close()
        return False
    base, _, rest = database_url.rpartition("/")
    name, _, query = rest.partition("?")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,63}", name):
        raise ValueError(f"refusing to create a database named {name!r}")
    admin = await asyncpg.connect(f"{base}/postgres" + (f"?{query}" if query else ""))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return True


def create_database_if_missing(database_url: str) -> bool:
    """Create the URL's database when the server lacks it (a newcomer's first run)."""
    return asyncio.run(_create_database_if_missing(database_url))
