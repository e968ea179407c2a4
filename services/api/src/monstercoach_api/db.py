"""The request's connection: one request is one transaction, committed at the edge —
except for an endpoint that only reads, which may read outside one (:class:`reading`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from monstercoach_kit.db import DATABASE_UNAVAILABLE

from .errors import DATABASE_UNAVAILABLE_MESSAGE, ApiError

ACQUIRE_TIMEOUT_SECONDS = 5.0


async def keep_session(conn: asyncpg.Connection) -> None:
    """The api pool's ``reset``: a connection goes back to the pool without asyncpg's
    reset query (``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``), one
    round trip less on every request. The api leaves no session state to reset: its
    settings are ``SET LOCAL``, its advisory locks transaction-level, and it neither
    listens nor holds cursors. asyncpg still rolls back a transaction left open and drops
    listeners before it calls this."""


def pool_of(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def _acquire(request: Request) -> tuple[asyncpg.Pool, asyncpg.Connection]:
    pool = pool_of(request)
    try:
        conn: asyncpg.Connection = await pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS)
    except DATABASE_UNAVAILABLE as exc:
        raise ApiError(503, "database_unavailable", DATABASE_UNAVAILABLE_MESSAGE) from exc
    return pool, conn


async def get_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection inside a transaction that commits when the endpoint returns
    and rolls back if it raises (so a failed request leaves nothing half-written)."""
    pool, conn = await _acquire(request)
    try:
        async with conn.transaction():
            yield conn
    finally:
        await pool.release(conn)


ConnectionDep = Annotated[asyncpg.Connection, Depends(get_connection, scope="function")]
"""``scope="function"``: the transaction commits before the response is sent, so a
commit that fails answers an error instead of a success that did not happen."""


class reading:  # lower case, as contextlib.suppress: a context manager to use in place
    """``async with reading(request) as conn``: a pooled connection outside any
    transaction, for an endpoint that only reads.

    Each statement then runs on its own, seeing what was committed when it started:
    exactly what it sees inside a transaction at PostgreSQL's default isolation (READ
    COMMITTED takes a new snapshot for every statement), without the round trips of BEGIN
    and COMMIT (docs/benchmarks.md, decision 0012). Never for an endpoint that writes:
    its writes would not be undone together.

    Entered in the endpoint rather than declared as a FastAPI dependency: a generator
    dependency cost the roster and the chart 0.04-0.07 ms of the api's CPU a request,
    5-7 % of its share (docs/benchmarks.md). The connection goes back to the pool before
    the response is sent, as :data:`ConnectionDep`'s does."""

    __slots__ = ("_conn", "_pool", "_request")
    _pool: asyncpg.Pool
    _conn: asyncpg.Connection

    def __init__(self, request: Request) -> None:
        self._request = request

    async def __aenter__(self) -> asyncpg.Connection:
        self._pool, self._conn = await _acquire(self._request)
        return self._conn

    async def __aexit__(self, *exc_info: object) -> None:
        await self._pool.release(self._conn)


async def without_jit(conn: asyncpg.Connection) -> None:
    """Turn PostgreSQL's JIT off for the rest of this transaction.

    A statement over the whole roster (10,000 clients) crosses the JIT's cost threshold,
    and compiling it costs more than it saves: -30 % for the compliance ranking
    (docs/benchmarks.md). A roster page's statements stay far below it (decision 0012).
    ``SET LOCAL`` rather than a connection setting, which PgBouncer's transaction pooling
    (Neon) would not keep.
    """
    await conn.execute("SET LOCAL jit = off")
