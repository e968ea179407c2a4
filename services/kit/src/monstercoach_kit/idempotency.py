"""Idempotent handling: the side effect and the idempotency key commit together.

:class:`IdempotentHandler` runs a batch in one PostgreSQL transaction. It first claims
every message's key in ``processed_messages`` with ``INSERT … ON CONFLICT DO NOTHING
RETURNING``; only the messages whose key was new reach ``apply``, together, so it can
write them with one ``executemany``. If the transaction
commits, effects and keys are durable together; if anything fails, neither is, and the
redelivered message is applied exactly once later.

A batch that fails is retried one message per transaction, so one poison message costs
its neighbours a retry, not their acknowledgement.

A key only has to outlive the ways its message can come again (a redelivery, a reclaim
after :attr:`ConsumerConfig.prerequisite_wait_ms`, a producer re-publishing after a
crash, a dead letter replayed): :func:`purge_processed` deletes older keys, so the table
follows the traffic of the retention window, not of the product's whole life.

Between batches that follow each other closely (a backlog) the handler keeps its pool
connection instead of releasing it: asyncpg resets a released connection with one more
round trip of four statements, which cost a tenth of a batch's time.

:class:`DatabaseGate` wraps any batch handler so that a PostgreSQL outage holds the batch
until the database answers, instead of spending the messages' deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime

import asyncpg

from monstercoach_schemas.messages import Message

from .bus import BatchHandler, HandlerResult
from .db import DATABASE_UNAVAILABLE, rows_affected
from .log import get_logger

log = get_logger(__name__)

Apply = Callable[[asyncpg.Connection, Sequence[Message]], Awaitable[None]]
"""Applies the effects of messages not seen before, in order, inside the transaction."""

CLAIM_KEYS = """
INSERT INTO processed_messages (scope, idempotency_key)
SELECT $1, key FROM unnest($2::text[]) AS key
ON CONFLICT DO NOTHING
RETURNING idempotency_key
"""

PURGE_PROCESSED = """
DELETE FROM processed_messages
WHERE ctid = ANY (ARRAY(
    SELECT ctid FROM processed_messages WHERE processed_at < $1 LIMIT $2
))
"""

PURGE_BATCH = 10_000
"""Keys deleted per statement: each batch commits on its own, so a first purge of a
large backlog holds no long transaction and writes its WAL in steps."""


async def purge_processed(pool: asyncpg.Pool, before: datetime, batch: int = PURGE_BATCH) -> int:
    """Delete idempotency keys processed before ``before``; how many were deleted."""
    deleted = 0
    while True:
        count = rows_affected(await pool.execute(PURGE_PROCESSED, before, batch))
        deleted += count
        if count < batch:
            return deleted


KEEP_CONNECTION_SECONDS = 0.05
"""How long a connection is kept for the next batch: longer than the gap between the
batches of a backlog, too short to matter to the pool's other users."""


class IdempotentHandler:
    """A batch handler that applies each idempotency key at most once per ``scope``."""

    def __init__(self, pool: asyncpg.Pool, scope: str, apply: Apply):
        self.pool = pool
        self.scope = scope
        self.apply = apply
        self._kept: asyncpg.Connection | None = None
        self._release_kept: asyncio.TimerHandle | None = None
        self._releasing: set[asyncio.Task[None]] = set()

    async def __call__(self, messages: Sequence[Message]) -> HandlerResult:
        try:
            await self._apply_in_one_transaction(messages)
        except Exception as exc:
            if len(messages) == 1:
                return [exc]
            return [await self._apply_alone(message) for message in messages]
        return [None] * len(messages)

    async def _apply_alone(self, message: Message) -> BaseException | None:
        try:
            await self._apply_in_one_transaction([message])
        except Exception as exc:
            return exc
        return None

    async def _apply_in_one_transaction(self, messages: Sequence[Message]) -> None:
        async with self._connection() as conn, conn.transaction():
            keys = [message.idempotency_key for message in messages]
            fresh = {row[0] for row in await conn.fetch(CLAIM_KEYS, self.scope, keys)}
            to_apply = []
            for message in messages:
                # A key seen twice in one batch is applied for its first message only.
                if message.idempotency_key in fresh:
                    fresh.discard(message.idempotency_key)
                    to_apply.append(message)
            if to_apply:
                await self.apply(conn, to_apply)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """The connection kept from the last batch, else one from the pool; kept again
        for :data:`KEEP_CONNECTION_SECONDS` if the batch went through."""
        conn, self._kept = self._kept, None
        if self._release_kept is not None:
            self._release_kept.cancel()
        if conn is None:
            conn = await self.pool.acquire()
        try:
            yield conn
        except BaseException:
            # Possibly broken (the database went away): the pool checks and replaces it.
            await self.pool.release(conn)
            raise
        if self._kept is not None:  # a concurrent call kept its own
            await self.pool.release(conn)
            return
        self._kept = conn
        self._release_kept = asyncio.get_running_loop().call_later(
            KEEP_CONNECTION_SECONDS, self._release
        )

    def _release(self) -> None:
        conn, self._kept = self._kept, None
        if conn is not None:
            task = asyncio.create_task(self._release_quietly(conn))
            self._releasing.add(task)  # held until done: the loop keeps only weak references
            task.add_done_callback(self._releasing.discard)

    async def _release_quietly(self, conn: asyncpg.Connection) -> None:
        try:
            await self.pool.release(conn)
        except Exception as exc:  # nobody awaits this task: say it, do not raise it
            log.warning("could not release a kept connection", status="error", error=repr(exc))


PROBE_TIMEOUT_SECONDS = 2.0
MAX_PROBE_INTERVAL_SECONDS = 10.0


class DatabaseGate:
    """Holds a batch while PostgreSQL is unreachable instead of failing it.

    Each failure spends one of a message's few deliveries; an outage of a few minutes
    would dead-letter the whole backlog. So when a batch fails because the database
    cannot be reached, this waits until it answers again and re-runs the batch (its
    idempotency keys make that safe). It re-runs only after it saw the database down,
    so a statement that merely timed out cannot loop here.
    """

    def __init__(self, handler: BatchHandler, pool: asyncpg.Pool, stop: asyncio.Event):
        self.handler = handler
        self.pool = pool
        self.stop = stop

    async def __call__(self, messages: Sequence[Message]) -> HandlerResult:
        results = await self.handler(messages)
        while _database_unreachable(results) and await self._waited_for_database():
            results = await self.handler(messages)
        return results

    async def _waited_for_database(self) -> bool:
        """Wait until PostgreSQL answers; ``False`` if it was never down or we stop."""
        waited = False
        interval = 0.5
        while not self.stop.is_set():
            try:
                async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                    await self.pool.fetchval("SELECT 1")
            except DATABASE_UNAVAILABLE as exc:
                if not waited:
                    log.warning(
                        "postgres unavailable; holding the batch", status="waiting", error=repr(exc)
                    )
                waited = True
            else:
                if waited:
                    log.info("postgres is back; applying the held batch", status="ok")
                return waited
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=interval)
            interval = min(interval * 2, MAX_PROBE_INTERVAL_SECONDS)
        return False


def _database_unreachable(results: HandlerResult) -> bool:
    return any(isinstance(error, DATABASE_UNAVAILABLE) for error in results)
