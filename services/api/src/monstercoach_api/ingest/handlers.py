"""Apply a batch of stream messages to the record, set-based and in a safe order.

The batch (already deduplicated by idempotency key, inside one transaction) is split by
type and each type is written with one statement. Types are applied in dependency
order rather than strictly interleaved, which keeps every client's history in order:

1. ``client.onboarded`` first: everything else refers to a client row.
2. Then the unknown-client check for the rest of the batch (one query): a message about
   a client not recorded yet is retried (``RetryLater``), since the onboarding may still
   be on its way, and dead-lettered only when the bus gives up waiting for it.
3. Independent logs (check-ins, meals, workouts, DMs, flags, deliveries), each type in
   stream order.
4. Job cards: issued → items marked → closed out. A mark that truly came after a
   close-out wins either way (the close-out only touches pending items), so grouping
   gives the same result as strict order.
5. ``clients.last_activity_at`` from the client's own actions only (answers, logs,
   marks, DMs) — not from anything the system did to them, such as a missed fire.
6. The stored 7-day windows (``client_weeks``) of the clients with an event about a past
   day (a late answer, a tap on yesterday's card) are marked stale, so their roster
   rows compute the week until the next refresh stores it again: a roster row is exact
   for everything recorded here (decision 0012).

``fire.missed`` writes nothing here: the scheduler records the miss in its ledger
(``trigger_fires``, status and reason) in the transaction that decides it, and the
dashboard reads the ledger. A copy in an api table would be a second record that can
disagree with the first. Its client is still checked, like every event's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import asyncpg

from monstercoach_kit.bus import PermanentError
from monstercoach_kit.idempotency import Apply
from monstercoach_schemas.domain import JobCardItemStatus
from monstercoach_schemas.messages import (
    STREAM_OF,
    CheckinAnswered,
    ClientOnboarded,
    ClientStatusChanged,
    DeliveryOutcome,
    DeliveryRequested,
    DmReceived,
    FireMissed,
    FlagRaised,
    JobCardClosedOut,
    JobCardIssued,
    JobCardItemMarked,
    MealLogged,
    Message,
    WorkoutLogged,
)

from ..clients.repository import DayEvent, mark_stale
from . import repository

M = TypeVar("M")


@dataclass(frozen=True)
class Applier(Generic[M]):
    """Writes the batch's messages of one type (if there are any)."""

    kind: type[M]
    write: Callable[[asyncpg.Connection, Sequence[M]], Awaitable[None]]

    async def __call__(self, conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
        mine = [message for message in messages if isinstance(message, self.kind)]
        if mine:
            await self.write(conn, mine)


ONBOARD = Applier(ClientOnboarded, repository.upsert_clients)
AFTER_ONBOARDING: tuple[Applier[Any], ...] = (
    Applier(ClientStatusChanged, repository.set_statuses),
    Applier(CheckinAnswered, repository.upsert_checkins),
    Applier(MealLogged, repository.insert_meals),
    Applier(WorkoutLogged, repository.insert_workouts),
    Applier(DmReceived, repository.insert_dms),
    Applier(FlagRaised, repository.upsert_flags),
    Applier(DeliveryRequested, repository.record_requested),
    Applier(DeliveryOutcome, repository.record_outcomes),
    Applier(JobCardIssued, repository.insert_job_cards),
    Applier(JobCardItemMarked, repository.mark_items),
    Applier(JobCardClosedOut, repository.close_out_cards),
)
CHECKED_ONLY: tuple[type[Any], ...] = (FireMissed,)
"""Recorded by their producer (see the module docstring); only their client is checked."""
HANDLED = (ONBOARD.kind, *(applier.kind for applier in AFTER_ONBOARDING), *CHECKED_ONLY)

ANSWERS = (JobCardItemStatus.DONE, JobCardItemStatus.SKIPPED)


def client_action(message: Message) -> tuple[UUID, datetime] | None:
    """(client, when) if the message is something the client did themselves."""
    match message:
        case CheckinAnswered(payload=p):
            return p.client_id, p.answered_at
        case MealLogged(payload=p) | WorkoutLogged(payload=p):
            return p.client_id, p.logged_at
        case JobCardItemMarked(payload=p) if p.status in ANSWERS:
            return p.client_id, p.marked_at
        case DmReceived(payload=p):
            return p.client_id, p.received_at
    return None


def day_event(message: Message) -> DayEvent | None:
    """What the message changes in a client's 7-day compliance: the day it is about (a
    close-out only turns pending items missed, which counts the same)."""
    match message:
        case CheckinAnswered(payload=p) | JobCardIssued(payload=p):
            return DayEvent(p.client_id, local_date=p.local_date)
        case JobCardItemMarked(payload=p):
            return DayEvent(p.client_id, card_id=p.card_id)
    return None


def referenced_clients(messages: Sequence[Message]) -> list[UUID]:
    ids = {getattr(message.payload, "client_id", None) for message in messages}
    return [client_id for client_id in ids if client_id is not None]


async def apply_messages(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
    """The ``apply`` of the api's :class:`~monstercoach_kit.idempotency.IdempotentHandler`."""
    unhandled = sorted({m.type for m in messages if not isinstance(m, HANDLED)})
    if unhandled:
        raise PermanentError(f"the api does not record {', '.join(unhandled)}")
    try:
        await ONBOARD(conn, messages)
        await repository.require_clients(conn, referenced_clients(messages))
        for applier in AFTER_ONBOARDING:
            await applier(conn, messages)
        actions = [action for message in messages if (action := client_action(message))]
        await repository.bump_last_activity(conn, actions)
        await mark_stale(conn, [event for message in messages if (event := day_event(message))])
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
        # A value the schema accepted but a table constraint refuses: retrying cannot
        # help. (In a batch this first sends every message through alone, so only the
        # offending one is dead-lettered.)
        raise PermanentError(f"refused by the database: {exc}") from exc


def apply_stream(stream: str) -> Apply:
    """:func:`apply_messages` for the entries of ``stream``.

    Producers put each type on its one stream (``STREAM_OF``), so a message of a type
    that travels on another came from a broken or hostile writer: it is a permanent
    error here, neither recorded nor waited on for a client it names.
    """

    async def apply(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
        strays = sorted({m.type for m in messages if STREAM_OF[m.type] != stream})
        if strays:
            raise PermanentError(f"{', '.join(strays)} does not travel on the {stream} stream")
        await apply_messages(conn, messages)

    return apply
