"""Idempotent handling: the side effect and the idempotency key commit together.

:class:`IdempotentHandler` runs a batch in one PostgreSQL transaction. It first claims
every message's key in ``processed_messages`` with ``INSERT … ON CONFLICT DO NOTHING
RETURNING``; only the messages whose key was new reach ``apply``, together, so it can
write them with one ``executemany``. If the transaction
commits, effects and keys are durable together; if anything fails, neither is, and the
redelivered message is applied exactly once later.

A batch that fails is retried one message per transaction, so one poison message costs
its neighbours a retry, not their acknowledgement.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from monstercoach_schemas.messages import Message

from .bus import HandlerResult

Apply = Callable[[asyncpg.Connection, Sequence[Message]], Awaitable[None]]
"""Applies the effects of messages not seen before, in order, inside the transaction."""

CLAIM_KEYS = """
INSERT INTO processed_messages (scope, idempotency_key)
SELECT $1, key FROM unnest($2::text[]) AS key
ON CONFLICT DO NOTHING
RETURNING idempotency_key
"""


class IdempotentHandler:
    """A batch handler that applies each idempotency key at most once per ``scope``."""

    def __init__(self, pool: asyncpg.Pool, scope: str, apply: Apply):
        self.pool = pool
        self.scope = scope
        self.apply = apply

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
        async with self.pool.acquire() as conn, conn.transaction():
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
