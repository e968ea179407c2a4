"""asyncpg pool and direct connections.

Raw SQL only. JSON/JSONB columns decode to Python objects. The statement cache is
configurable because PgBouncer in transaction mode (Neon's pooled URL) cannot keep
prepared statements across transactions.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from .settings import KitSettings

DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable, DNS
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.TooManyConnectionsError,
)
"""Errors that mean "PostgreSQL cannot be reached now", not "this statement is wrong"."""


def rows_affected(status: str) -> int:
    """Rows a statement affected, from asyncpg's command status (``UPDATE 3``)."""
    return int(status.split()[-1])


async def init_connection(conn: asyncpg.Connection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, schema="pg_catalog", encoder=json.dumps, decoder=json.loads
        )


async def create_pool(settings: KitSettings, **overrides: Any) -> asyncpg.Pool:
    options: dict[str, Any] = {
        "dsn": settings.database_url,
        "min_size": settings.db_pool_min_size,
        "max_size": settings.db_pool_max_size,
        "statement_cache_size": settings.db_statement_cache_size,
        "init": init_connection,
        "command_timeout": 60,
    }
    options.update(overrides)
    pool: asyncpg.Pool = await asyncpg.create_pool(**options)
    return pool


async def connect_direct(settings: KitSettings) -> asyncpg.Connection:
    """One non-pooled connection, for session state such as advisory locks."""
    conn: asyncpg.Connection = await asyncpg.connect(
        settings.direct_database_url,
        statement_cache_size=settings.db_statement_cache_size,
    )
    await init_connection(conn)
    return conn
