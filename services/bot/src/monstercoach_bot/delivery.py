"""Outbound delivery: each ``delivery.requested`` becomes one DM and one ``delivery.outcome``.

A batch from the ``deliveries`` stream is sent concurrently, at most
``delivery_concurrency`` at a time; the shared rate limiter, not this module, paces the
calls.

Exactly one DM per delivery, whatever gets redelivered:

1. A finished delivery id is remembered in Redis (:class:`DeliveryRecords`); a
   redelivered job with a remembered id is acknowledged without sending.
2. The crash window between sending and remembering is closed by Discord itself: every
   attempt of a delivery posts with the same ``nonce`` and ``enforce_nonce``, so a
   resend within Discord's nonce window returns the message already created.
3. The outcome is published before the id is remembered, with an idempotency key per
   delivery, so a crash between the two republishes an outcome the api applies once.

An attempt that times out (or loses its connection mid-request) may still have created
the message: Discord's silence is not a "no". Such a delivery is resent with its nonce
until Discord answers, past ``delivery_max_attempts`` but only while Discord still
matches the nonce (:func:`resend_window`): the message then comes back whichever attempt
created it, and a refusal (403, 404) is a real "no". If the window runs out first, the
outcome is ``failed`` with a reason saying it is unknown, not ``missed``: the scheduler
closes a missed delivery's fire as undeliverable and would ignore the answer of a client
who did get the DM.

The record lives in Redis rather than in ``processed_messages``: a DM is not a database
write, so a PostgreSQL transaction would commit nothing atomically with it, the bot then
keeps delivering while PostgreSQL is down, and the record is exactly as durable as the
stream entry it guards (both live in the same Redis).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from uuid import UUID

import aiohttp
import discord
import redis.asyncio as aioredis

from monstercoach_kit.bus import ConsumerConfig, HandlerResult, PermanentError, StreamBus
from monstercoach_kit.log import get_logger
from monstercoach_schemas.domain import DeliveryStatus
from monstercoach_schemas.messages import (
    DeliveryOutcome,
    DeliveryOutcomePayload,
    DeliveryRequested,
    DeliveryRequestedPayload,
    Message,
)
from monstercoach_schemas.streams import Group, Stream

from .render import build_view, delivery_nonce, render_text
from .settings import BotSettings

log = get_logger(__name__)


class Sender(Protocol):
    async def send(
        self, recipient_id: str, content: str, view: discord.ui.View | None, nonce: str
    ) -> str: ...


@dataclass(frozen=True)
class Result:
    status: DeliveryStatus
    attempts: int
    error: str | None = None
    message_id: str | None = None


def is_permanent(exc: BaseException) -> bool:
    """Discord refused for good: 403 (50007 cannot DM this user), 404 (10013 unknown
    user), any other 4xx but 429. Sending again cannot help."""
    return isinstance(exc, discord.HTTPException) and 400 <= exc.status < 500 and exc.status != 429


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: 5xx (after discord.py's own retries), a 429 it would not
    wait out, a timeout, a connection error."""
    return isinstance(
        exc, discord.HTTPException | discord.RateLimited | aiohttp.ClientError | OSError
    )


def may_have_landed(exc: BaseException) -> bool:
    """A transient failure after which the message may exist: the request may have
    reached Discord, but no answer came back (a timeout, a connection lost mid-request).

    Discord's error answers (5xx, 429) are taken to say that request created nothing, and
    a connection never made sent nothing.
    """
    return not isinstance(
        exc, discord.HTTPException | discord.RateLimited | aiohttp.ClientConnectorError
    )


def describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"{exc.status} (code {exc.code}): {exc.text or 'no message'}"
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g}s"
    return f"{type(exc).__name__}: {exc}"


NONCE_WINDOW_SECONDS = 120.0
"""How long Discord is taken to match a repeated nonce: "a few minutes" by its docs, so
two. A resend later than that could create a second message."""

RESEND_WINDOW_TIMEOUTS = 8
"""Resends of a delivery whose outcome is unknown span this many attempt timeouts (at
most :data:`NONCE_WINDOW_SECONDS`): several spaced resends, while the batch's worst case,
and with it the stream's reclaim time (:func:`reclaim_after_ms`), stays bounded."""


def resend_window(settings: BotSettings) -> float:
    """Seconds after its first attempt within which a delivery is resent, and each
    resend answered or given up on, while its outcome is unknown."""
    return min(
        NONCE_WINDOW_SECONDS, RESEND_WINDOW_TIMEOUTS * settings.delivery_attempt_timeout_seconds
    )


def expiry(payload: DeliveryRequestedPayload, now: datetime) -> str | None:
    """Why the delivery is pointless now, if it is."""
    if payload.not_after is not None and payload.not_after <= now:
        return f"not_after {payload.not_after.isoformat()} passed before sending"
    return None


class DeliveryRecords:
    """Delivery ids whose outcome is published, remembered for ``ttl``."""

    def __init__(self, redis: aioredis.Redis, prefix: str, ttl: timedelta):
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl

    def key(self, delivery_id: UUID) -> str:
        return f"{self.prefix}bot:delivered:{delivery_id}"

    async def finished(self, delivery_ids: Sequence[UUID]) -> set[UUID]:
        if not delivery_ids:
            return set()
        found = await self.redis.mget([self.key(i) for i in delivery_ids])
        return {i for i, value in zip(delivery_ids, found, strict=True) if value is not None}

    async def remember(self, delivery_id: UUID, status: DeliveryStatus) -> None:
        await self.redis.set(self.key(delivery_id), status.value, ex=self.ttl)


class Deliverer:
    """The ``deliveries`` batch handler. ``sender=None`` is dry-run."""

    def __init__(
        self,
        bus: StreamBus,
        records: DeliveryRecords,
        sender: Sender | None,
        settings: BotSettings,
    ):
        self.bus = bus
        self.records = records
        self.sender = sender
        self.settings = settings
        self._in_flight = asyncio.Semaphore(settings.delivery_concurrency)

    async def __call__(self, messages: Sequence[Message]) -> HandlerResult:
        ids = [m.payload.delivery_id for m in messages if isinstance(m, DeliveryRequested)]
        finished = await self.records.finished(ids)
        return await asyncio.gather(
            *(self._handle(message, finished) for message in messages), return_exceptions=True
        )

    async def _handle(self, message: Message, finished: set[UUID]) -> None:
        if not isinstance(message, DeliveryRequested):
            raise PermanentError(f"the bot does not handle {message.type} messages")
        if message.payload.delivery_id in finished:
            log.info(
                "delivery already finished; not sent again",
                status="duplicate",
                delivery_id=str(message.payload.delivery_id),
            )
            return
        async with self._in_flight:
            await self.deliver(message)

    async def deliver(self, request: DeliveryRequested) -> None:
        """Send (or not), publish the outcome, then remember the delivery as finished.

        Redis errors propagate: the job is then retried later, never recorded missed.
        """
        payload = request.payload
        expired = expiry(payload, datetime.now(UTC))
        if expired is not None:
            result = Result(DeliveryStatus.MISSED, 0, error=expired)
        elif self.sender is None:
            result = Result(DeliveryStatus.DRY_RUN, 0)
        else:
            result = await self._send_with_retries(self.sender, payload)
        rendered = render_text(payload.text, payload.buttons)
        await self.bus.publish(outcome_message(request, result, rendered))
        await self.records.remember(payload.delivery_id, result.status)
        log_result(payload, result, rendered)

    async def _send_with_retries(self, sender: Sender, payload: DeliveryRequestedPayload) -> Result:
        settings = self.settings
        timeout = settings.delivery_attempt_timeout_seconds
        view = build_view(payload.buttons)
        nonce = delivery_nonce(payload.delivery_id)
        started = time.monotonic()
        # A resend starting later could still be in flight when Discord forgets the nonce.
        last_resend_at = started + resend_window(settings) - timeout
        unknown = False
        attempt = 0
        while True:
            attempt += 1
            try:
                # A cancelled discord.py request is safe here except while it sleeps off
                # a *global* 429 (its global lock would stay shut; disnake#1585). The
                # limiter keeps global 429s from happening, and Discord's retry_after
                # is far below this timeout.
                async with asyncio.timeout(timeout):
                    message_id = await sender.send(
                        payload.recipient_discord_id, payload.text, view, nonce
                    )
            except Exception as exc:
                if is_permanent(exc):
                    return Result(DeliveryStatus.MISSED, attempt, error=describe(exc, timeout))
                if not is_transient(exc):
                    raise
                error = describe(exc, timeout)
                # Once unknown, unknown until Discord returns the message or refuses it:
                # an error answer to a resend says nothing about the earlier attempt.
                unknown = unknown or may_have_landed(exc)
                # No jitter needed: the global limiter already spreads simultaneous retries.
                delay = settings.delivery_backoff_seconds * 2 ** (attempt - 1)
                if unknown:
                    # At least a timeout apart: Discord, having just hung, gets time to
                    # finish (or drop) the earlier request, and the resends stay few.
                    delay = min(max(delay, timeout), last_resend_at - time.monotonic())
                    if delay < 0:
                        return Result(
                            DeliveryStatus.FAILED,
                            attempt,
                            error=unknown_outcome(attempt, time.monotonic() - started, error),
                        )
                elif attempt >= settings.delivery_max_attempts:
                    return Result(
                        DeliveryStatus.MISSED,
                        attempt,
                        error=f"gave up after {attempt} attempts; last error: {error}",
                    )
                log.warning(
                    "delivery attempt failed; retrying",
                    status="retrying",
                    delivery_id=str(payload.delivery_id),
                    attempt=attempt,
                    retry_in_s=round(delay, 3),
                    outcome_unknown=unknown,
                    error=error,
                )
                await asyncio.sleep(delay)
            else:
                return Result(DeliveryStatus.SENT, attempt, message_id=message_id)


def unknown_outcome(attempts: int, seconds: float, error: str) -> str:
    return (
        f"outcome unknown after {attempts} attempts in {seconds:.0f}s: an attempt got no "
        "answer, so the DM may have been delivered, and no resend within Discord's nonce "
        f"window got a yes or a no; last error: {error}"
    )


def outcome_message(request: DeliveryRequested, result: Result, rendered: str) -> DeliveryOutcome:
    payload = request.payload
    return DeliveryOutcome(
        # One outcome per delivery: a republished one is applied once by the api.
        idempotency_key=f"delivery.outcome:{payload.delivery_id}",
        trace_id=request.trace_id,
        payload=DeliveryOutcomePayload(
            delivery_id=payload.delivery_id,
            client_id=payload.client_id,
            recipient_discord_id=payload.recipient_discord_id,
            kind=payload.kind,
            fire=payload.fire,
            status=result.status,
            attempts=result.attempts,
            error=None if result.error is None else result.error[:2000],
            discord_message_id=result.message_id,
            rendered_text=rendered,
            at=datetime.now(UTC),
        ),
    )


def log_result(payload: DeliveryRequestedPayload, result: Result, rendered: str) -> None:
    fields = {
        "status": result.status.value,
        "delivery_id": str(payload.delivery_id),
        "kind": payload.kind.value,
        "attempts": result.attempts,
    }
    if result.status is DeliveryStatus.SENT:
        log.info("delivery sent", discord_message_id=result.message_id, **fields)
    elif result.status is DeliveryStatus.DRY_RUN:
        log.info("delivery dry-run; not sent", rendered_text=rendered, **fields)
    elif result.status is DeliveryStatus.FAILED:
        log.warning("delivery outcome unknown", error=result.error, **fields)
    else:
        log.warning("delivery missed", error=result.error, **fields)


BATCH_ROUNDS = 4
"""A batch holds this many rounds of concurrent sends. Between batches the limiter idles
while the last sends finish and the next batch is read; a batch of several rounds pays
that pause once per several rounds."""


def consumer_config(settings: BotSettings) -> ConsumerConfig:
    return ConsumerConfig(
        stream=Stream.DELIVERIES,
        group=Group.BOT,
        batch_size=BATCH_ROUNDS * settings.delivery_concurrency,
        min_idle_ms=reclaim_after_ms(settings),
    )


def reclaim_after_ms(settings: BotSettings) -> int:
    """Longer than the slowest batch, so a live bot's batch is never taken from it.

    Worst case: the batch's rounds of sends (two calls each) at the limiter's pace, and
    in the last round, the slowest delivery: every attempt failing after a full timeout,
    with the back-offs, or, once an attempt's outcome is unknown, resends to the end of
    the resend window.
    """
    attempts = settings.delivery_max_attempts
    backoffs = settings.delivery_backoff_seconds * (2 ** (attempts - 1) - 1)
    retries = attempts * settings.delivery_attempt_timeout_seconds + backoffs
    batch = BATCH_ROUNDS * settings.delivery_concurrency
    pacing = 2 * batch / settings.discord_requests_per_second
    worst = pacing + max(retries, resend_window(settings))
    return max(60_000, int(worst * 2 * 1000))
