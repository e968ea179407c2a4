"""Alembic environment: online migrations over asyncpg.

The engine gets its connections from ``asyncpg.connect(url)`` directly so the URL is
parsed by asyncpg itself (``sslmode=require`` on Neon works as is).
"""

from __future__ import annotations

import asyncio

import asyncpg
from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

database_url: str = context.config.attributes["database_url"]


def run_in_connection(connection: Connection) -> None:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(
        "postgresql+asyncpg://",
        async_creator=lambda: asyncpg.connect(database_url, statement_cache_size=0),
        poolclass=NullPool,
    )
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_in_connection)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run them online")
asyncio.run(run_online())
