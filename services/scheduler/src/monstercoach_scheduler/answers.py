"""Closing fires from the events stream: answers, and sends that could not be delivered.

The scheduler reads the ``events`` stream through its own consumer group (the api reads
the same events through its group), so the ledger follows what clients do even while the
api is down. Only two kinds of event matter here:

* an answer (``checkin.answered``…) marks the client-day's fire ``answered``; an answer
  that comes before the fire records the fire as answered, so the prompt is never sent;
* a ``delivery.outcome`` of ``missed`` for a fire's delivery marks that fire ``missed``
  with the bot's reason (the tick then reports it with a ``fire.missed`` event).

Both are idempotent (``processed_messages`` scope ``scheduler.ledger``). An answer of a
client the api has not recorded yet waits for them (``RetryLater``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import asyncpg

from monstercoach_kit.bus import BatchHandler, HandlerResult, RetryLater
from monstercoach_kit.idempotency import IdempotentHandler
from monstercoach_schemas.domain import DeliveryStatus
from monstercoach_schemas.lst.base import Trigger
from monstercoach_schemas.lst.plan import client_triggers
from monstercoach_schemas.messages import DeliveryOutcome, Message

from . import store

SCOPE = "scheduler.ledger"


def _answered_by() -> dict[str, list[Trigger]]:
    triggers: dict[str, list[Trigger]] = defaultdict(list)
    for trigger in client_triggers():
        if trigger.answered_by is not None:
            triggers[trigger.answered_by].append(trigger)
    return dict(triggers)


ANSWERS = _answered_by()
"""Message type → the triggers it answers."""


def _undeliverable(message: Message) -> bool:
    return (
        isinstance(message, DeliveryOutcome)
        and message.payload.status is DeliveryStatus.MISSED
        and message.payload.fire is not None
        and message.payload.client_id is not None
    )


def concerns_ledger(message: Message) -> bool:
    return message.type in ANSWERS or _undeliverable(message)


async def apply(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
    answers: list[list[Any]] = [[], [], [], [], []]
    misses: list[list[Any]] = [[], [], [], [], []]
    for message in messages:
        if isinstance(message, DeliveryOutcome):
            outcome = message.payload
            assert outcome.fire is not None  # _undeliverable checked it
            reason = f"undeliverable: {outcome.error or 'no reason given'}"[:500]
            row = (outcome.fire.engine, outcome.fire.trigger, outcome.client_id)
            for column, value in zip(misses, (*row, outcome.fire.local_date, reason), strict=True):
                column.append(value)
            continue
        payload: Any = message.payload  # an answer type: names a client-day (base checks)
        for trigger in ANSWERS[message.type]:
            values = (trigger.engine, trigger.trigger, payload.client_id, payload.local_date)
            for column, value in zip(answers, (*values, message.created_at), strict=True):
                column.append(value)
    if answers[0]:
        unknown = await conn.fetchval(store.ANSWER_FIRES, *answers)
        if unknown:
            # A client the api has not recorded yet: the api may be down (this group reads
            # the events on its own), or their onboarding pending in a consumer that died.
            # The bus retries the answer until it gives up waiting.
            raise RetryLater(f"unknown client: {', '.join(map(str, unknown))}")
    if misses[0]:
        await conn.execute(store.MARK_UNDELIVERABLE, *misses)


def ledger_handler(pool: asyncpg.Pool) -> BatchHandler:
    """A batch handler for the events stream that ignores what the ledger does not need."""
    idempotent = IdempotentHandler(pool, SCOPE, apply)

    async def handle(messages: Sequence[Message]) -> HandlerResult:
        relevant = [i for i, message in enumerate(messages) if concerns_ledger(message)]
        results: list[BaseException | None] = [None] * len(messages)
        if relevant:
            outcomes = await idempotent([messages[i] for i in relevant])
            for i, outcome in zip(relevant, outcomes, strict=True):
                results[i] = outcome
        return results

    return handle
