"""The request's connection: one request is one transaction, committed at the edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from monstercoach_kit.db import DATABASE_UNAVAILABLE

from .errors import DATABASE_UNAVAILABLE_MESSAGE, ApiError

ACQUIRE_TIMEOUT_SECONDS = 5.0


def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
"""For work outside the request's transaction (see ``clients.ranking``)."""


async def get_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection inside a transaction that commits when the endpoint returns
    and rolls back if it raises (so a failed request leaves nothing half-written)."""
    pool = get_pool(request)
    try:
        conn: asyncpg.Connection = await pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS)
    except DATABASE_UNAVAILABLE as exc:
        raise ApiError(503, "database_unavailable", DATABASE_UNAVAILABLE_MESSAGE) from exc
    try:
        async with conn.transaction():
            yield conn
    finally:
        await pool.release(conn)


ConnectionDep = Annotated[asyncpg.Connection, Depends(get_connection, scope="function")]
"""``scope="function"``: the transaction commits before the response is sent, so a
commit that fails answers an error instead of a success that did not happen."""


async def without_jit(conn: asyncpg.Connection) -> None:
    """Turn PostgreSQL's JIT off for the rest of this transaction.

    A statement over the whole roster (10,000 clients) crosses the JIT's cost threshold,
    and compiling it costs more than it saves: -30 % for the compliance ranking, a few
    ms per roster page (docs/benchmarks.md). ``SET LOCAL`` rather than a connection
    setting, which PgBouncer's transaction pooling (Neon) would not keep.
    """
    await conn.execute("SET LOCAL jit = off")
