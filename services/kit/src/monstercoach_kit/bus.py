"""The stream bus: Redis streams with consumer groups, at-least-once, dead letters.

Producers ``XADD`` envelopes (pipelined, ``MAXLEN ~`` capped). A :class:`Consumer` reads
new entries with ``XREADGROUP``, periodically takes over entries whose consumer died
with ``XAUTOCLAIM``, hands batches to a handler and ``XACK``s only what the handler
committed. An entry that fails validation, raises :class:`PermanentError`, or has been
delivered ``max_deliveries`` times goes to the dead-letter stream with its error and is
acked in the same ``MULTI``, so a poison message never crash-loops a consumer.

See docs/decisions/0003-stream-bus.md for the reasoning.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from pydantic import ValidationError

from monstercoach_schemas.messages import STREAM_OF, Envelope, Message, parse_message
from monstercoach_schemas.streams import DEAD_LETTERS

from .health import HANDLER_SECONDS, MESSAGES_HANDLED, instance_name
from .log import get_logger
from .settings import KitSettings

log = get_logger(__name__)

Fields = dict[bytes, bytes]
HandlerResult = Sequence[BaseException | None]
BatchHandler = Callable[[Sequence[Message]], Awaitable[HandlerResult]]
"""Handles a batch in order; returns, per message, ``None`` (done: ack) or the error."""


class PermanentError(Exception):
    """Raised by a handler for a message that can never succeed: dead-letter it now."""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True)
class Trim:
    """How a stream is kept bounded.

    ``maxlen`` caps every ``XADD`` (approximate, cheap) as a memory guard that should
    never bind in normal operation. ``retention`` is applied by consumers: entries older
    than it are trimmed with ``XTRIM MINID ~``, but never past the oldest entry a group
    has not acknowledged, so a backlog behind a stopped consumer is kept.
    """

    maxlen: int | None = 1_000_000
    retention: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class DeadLetter:
    id: str
    stream: str
    group: str
    original_id: str
    type: str
    error: str
    deliveries: int
    dead_lettered_at: str
    data: str


@dataclass(frozen=True)
class GroupStatus:
    name: str
    consumers: int
    pending: int
    lag: int | None
    last_delivered_id: str


@dataclass(frozen=True)
class StreamStatus:
    stream: str
    length: int
    groups: list[GroupStatus]


_PUBLISH_CHUNK = 500
"""Messages per script call: large enough to amortize the call, small enough that the
script (which Redis runs atomically) never holds the server for long."""

_XADD_MANY = """
local maxlen = tonumber(ARGV[1])
local ids = {}
for i = 2, #ARGV, 3 do
    local key = KEYS[tonumber(ARGV[i])]
    if maxlen > 0 then
        ids[#ids + 1] = redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*',
                                   'type', ARGV[i + 1], 'data', ARGV[i + 2])
    else
        ids[#ids + 1] = redis.call('XADD', key, '*', 'type', ARGV[i + 1], 'data', ARGV[i + 2])
    end
end
return ids
"""
"""``XADD`` every (stream index, type, data) triple of ARGV, in order; ARGV[1] is MAXLEN."""


class StreamBus:
    """Names, producing, dead letters and status for the streams under one key prefix."""

    def __init__(self, redis: aioredis.Redis, prefix: str = "mc:", trim: Trim | None = None):
        self.redis = redis
        self.prefix = prefix
        self.trim = trim or Trim()
        self._xadd_many = redis.register_script(_XADD_MANY)

    def key(self, stream: str) -> str:
        return f"{self.prefix}stream:{stream}"

    @property
    def dead_letter_key(self) -> str:
        return self.key(DEAD_LETTERS)

    async def publish(self, message: Envelope[Any]) -> str:
        """Append one message to its stream; returns the entry id."""
        return (await self.publish_many([message]))[0]

    async def publish_many(self, messages: Sequence[Envelope[Any]]) -> list[str]:
        """Append messages in order; returns their entry ids.

        A server-side script adds a chunk of entries per call: one command to encode and
        one reply to parse instead of one per message, which is where a pipelined XADD
        loop spends most of its client time.
        """
        ids: list[str] = []
        for start in range(0, len(messages), _PUBLISH_CHUNK):
            ids += await self._publish_chunk(messages[start : start + _PUBLISH_CHUNK])
        return ids

    async def _publish_chunk(self, messages: Sequence[Envelope[Any]]) -> list[str]:
        keys: dict[str, int] = {}
        args: list[str | int] = [0 if self.trim.maxlen is None else self.trim.maxlen]
        for message in messages:
            key = self.key(STREAM_OF[message.type])
            args += [keys.setdefault(key, len(keys) + 1), message.type, message.model_dump_json()]
        entry_ids = await self._xadd_many(keys=list(keys), args=args)
        return [_text(entry_id) for entry_id in entry_ids]

    async def ensure_group(self, stream: str, group: str) -> None:
        try:
            await self.redis.xgroup_create(self.key(stream), group, id="0", mkstream=True)
        except aioredis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    # --- dead letters ------------------------------------------------------------------

    async def dead_letters(self, count: int = 100, after: str = "-") -> list[DeadLetter]:
        entries: Any = await self.redis.xrange(self.dead_letter_key, min=after, count=count)
        return [self._dead_letter(entry_id, entry) for entry_id, entry in entries]

    async def dead_letter_count(self) -> int:
        return int(await self.redis.xlen(self.dead_letter_key))

    @staticmethod
    def _dead_letter(entry_id: bytes, entry: Fields) -> DeadLetter:
        get = {_text(k): _text(v) for k, v in entry.items()}
        return DeadLetter(
            id=_text(entry_id),
            stream=get.get("stream", ""),
            group=get.get("group", ""),
            original_id=get.get("original_id", ""),
            type=get.get("type", ""),
            error=get.get("error", ""),
            deliveries=int(get.get("deliveries", "0")),
            dead_lettered_at=get.get("dead_lettered_at", ""),
            data=get.get("data", ""),
        )

    async def replay_dead_letter(self, dead_letter_id: str) -> str:
        """Put a dead letter back on its stream as a new entry and remove it from the DLQ.

        The envelope (and its idempotency key) is unchanged, so a message whose effect
        already happened is still applied at most once.
        """
        entries: Any = await self.redis.xrange(
            self.dead_letter_key, min=dead_letter_id, max=dead_letter_id
        )
        if not entries:
            raise KeyError(f"no dead letter {dead_letter_id}")
        letter = self._dead_letter(*entries[0])
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self.key(letter.stream),
                {"type": letter.type, "data": letter.data},
                maxlen=self.trim.maxlen,
                approximate=True,
            )
            pipe.xdel(self.dead_letter_key, dead_letter_id)
            new_id, _ = await pipe.execute()
        log.info(
            "dead letter replayed",
            status="replayed",
            dead_letter_id=dead_letter_id,
            stream=letter.stream,
            new_id=_text(new_id),
        )
        return _text(new_id)

    # --- status ------------------------------------------------------------------------

    async def status(self, streams: Sequence[str]) -> list[StreamStatus]:
        result = []
        for stream in [*streams, DEAD_LETTERS]:
            key = self.key(stream)
            length = int(await self.redis.xlen(key))
            groups: list[GroupStatus] = []
            if length or await self.redis.exists(key):
                for info in await self.redis.xinfo_groups(key):
                    get = {_text(k): v for k, v in info.items()}
                    lag = get.get("lag")
                    groups.append(
                        GroupStatus(
                            name=_text(get["name"]),
                            consumers=int(get["consumers"]),
                            pending=int(get["pending"]),
                            lag=None if lag is None else int(lag),
                            last_delivered_id=_text(get["last-delivered-id"]),
                        )
                    )
            result.append(StreamStatus(stream=stream, length=length, groups=groups))
        return result

    async def trim_safely(self, stream: str, now: datetime | None = None) -> int:
        """``XTRIM MINID ~`` to the retention cutoff, never past an unacknowledged entry."""
        key = self.key(stream)
        cutoff_ms = int(((now or datetime.now(UTC)) - self.trim.retention).timestamp() * 1000)
        safe = (cutoff_ms, 0)
        for info in await self.redis.xinfo_groups(key):
            get = {_text(k): v for k, v in info.items()}
            # Entries after last-delivered-id were never read by the group...
            safe = min(safe, _parse_id(_text(get["last-delivered-id"])))
            if int(get["pending"]):
                # ...and entries in its pending list were read but not acknowledged.
                summary = await self.redis.xpending(key, _text(get["name"]))
                safe = min(safe, _parse_id(_text(summary["min"])))
        minid = f"{safe[0]}-{safe[1]}"
        return int(await self.redis.xtrim(key, minid=minid, approximate=True))


@contextlib.asynccontextmanager
async def open_bus(settings: KitSettings) -> AsyncIterator[StreamBus]:
    """A bus on its own Redis connection, for short-lived tools (the CLI); services get
    theirs from :func:`monstercoach_kit.runtime.open_runtime`."""
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        yield StreamBus(client, prefix=settings.key_prefix)
    finally:
        await client.aclose()


_STREAM_LOST = ("NOGROUP", "UNBLOCKED the stream key no longer exists")
"""Redis errors meaning the stream (and so its group) is gone, e.g. after a restart."""


def _parse_id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass
class ConsumerConfig:
    stream: str
    group: str
    name: str = field(default_factory=instance_name)
    batch_size: int = 100
    block_ms: int = 1000
    min_idle_ms: int = 60_000
    """An entry pending this long is presumed abandoned and reclaimed; must exceed the
    slowest handler's time for a batch, and is the back-off before a failed entry retries."""
    max_deliveries: int = 5
    maintenance_every_s: float = 5.0
    stale_consumer_idle_ms: int = 3_600_000


class Consumer:
    """One member of a consumer group, running a batch handler until stopped."""

    def __init__(self, bus: StreamBus, config: ConsumerConfig, handler: BatchHandler):
        self.bus = bus
        self.config = config
        self.handler = handler
        self.key = bus.key(config.stream)
        self._errors_key = f"{bus.prefix}errors:{config.stream}:{config.group}"
        self._next_maintenance = 0.0
        self._acks_due: list[bytes] = []
        self._errors_to_clear: list[bytes] = []
        self.log = log.bind(stream=config.stream, group=config.group, consumer=config.name)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; Redis outages are waited out, never fatal."""
        backoff = 0.5
        while not stop.is_set():
            try:
                await self.bus.ensure_group(self.config.stream, self.config.group)
                # Entries this consumer name read before a restart come first.
                await self._drain_own_pending()
                while not stop.is_set():
                    await self.step()
                    backoff = 0.5
                await self.flush_acks()
            except aioredis.ResponseError as exc:
                # A Redis restarted without persistence lost the stream and its group:
                # recreate them (top of the loop) rather than die.
                if not any(marker in str(exc) for marker in _STREAM_LOST):
                    raise
                self.log.warning("consumer group vanished; recreating", status="waiting")
                self._acks_due, self._errors_to_clear = [], []
            except (aioredis.ConnectionError, aioredis.TimeoutError, OSError) as exc:
                self.log.warning("redis unavailable; retrying", status="waiting", error=str(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, 10.0)

    async def step(self) -> int:
        """One round: maintenance when due, then one blocking read of new entries."""
        handled = 0
        if time.monotonic() >= self._next_maintenance:
            # Acknowledge the last batch first: a batch slower than min_idle_ms would
            # otherwise look abandoned and be reclaimed (and counted again) by ourselves.
            await self.flush_acks()
            handled += await self.reclaim()
            await self._maintain()
            self._next_maintenance = time.monotonic() + self.config.maintenance_every_s
        # The previous batch's XACK rides in the same round trip as this read.
        pipe = self.bus.redis.pipeline(transaction=False)
        self._queue_acks(pipe)
        pipe.xreadgroup(
            self.config.group,
            self.config.name,
            {self.key: ">"},
            count=self.config.batch_size,
            block=self.config.block_ms,
        )
        response = (await pipe.execute())[-1]
        for _stream, entries in response or []:
            # Entries read with ">" are on their first delivery.
            handled += await self._process([(i, f, 1) for i, f in entries])
        return handled

    async def reclaim(self) -> int:
        """Take over entries idle past ``min_idle_ms`` (their consumer died or failed)."""
        handled = 0
        cursor = "0-0"
        while True:
            cursor_b, entries, deleted = await self._autoclaim(cursor)
            if deleted:
                # Trimmed while pending: only the MAXLEN memory guard can do this.
                self.log.error("pending entries trimmed", status="lost", ids=deleted)
            entries = [(i, f) for i, f in entries if f is not None]
            if entries:
                counts = await self._delivery_counts([i for i, _ in entries])
                handled += await self._process([(i, f, counts[i]) for i, f in entries])
            cursor = _text(cursor_b)
            if cursor == "0-0":
                return handled

    async def _autoclaim(self, cursor: str) -> tuple[bytes, list[tuple[bytes, Fields]], list[Any]]:
        result = await self.bus.redis.xautoclaim(
            self.key,
            self.config.group,
            self.config.name,
            min_idle_time=self.config.min_idle_ms,
            start_id=cursor,
            count=self.config.batch_size,
        )
        deleted = result[2] if len(result) > 2 else []
        return result[0], result[1], deleted

    async def _drain_own_pending(self) -> None:
        cursor = "0-0"
        while True:
            response: Any = await self.bus.redis.xreadgroup(
                self.config.group,
                self.config.name,
                {self.key: cursor},
                count=self.config.batch_size,
            )
            entries = [(i, f) for _s, es in response or [] for i, f in es if f]
            if not entries:
                return
            counts = await self._delivery_counts([i for i, _ in entries])
            await self._process([(i, f, counts[i]) for i, f in entries])
            cursor = _text(entries[-1][0])

    async def _delivery_counts(self, ids: Sequence[bytes]) -> dict[bytes, int]:
        pipe = self.bus.redis.pipeline(transaction=False)
        for entry_id in ids:
            pipe.xpending_range(self.key, self.config.group, min=entry_id, max=entry_id, count=1)
        counts: dict[bytes, int] = {}
        for entry_id, rows in zip(ids, await pipe.execute(), strict=True):
            counts[entry_id] = int(rows[0]["times_delivered"]) if rows else 1
        return counts

    async def _process(self, entries: Sequence[tuple[bytes, Fields, int]]) -> int:
        """Validate, dead-letter the hopeless, hand the rest to the handler, ack."""
        stream, group = self.config.stream, self.config.group
        valid: list[tuple[bytes, Message, int]] = []
        for entry_id, entry, deliveries in entries:
            raw = entry.get(b"data", b"")
            try:
                message = parse_message(raw)
            except (ValidationError, ValueError) as exc:
                await self._dead_letter(entry_id, entry, f"invalid message: {exc}", deliveries)
                continue
            if deliveries > self.config.max_deliveries:
                last = await self.bus.redis.hget(self._errors_key, entry_id)
                reason = _text(last) if last else "consumer stopped while handling it"
                await self._dead_letter(
                    entry_id,
                    entry,
                    f"gave up after {deliveries - 1} deliveries; last error: {reason}",
                    deliveries,
                )
                continue
            valid.append((entry_id, message, deliveries))
        if not valid:
            return len(entries)

        started = time.perf_counter()
        results = await self._call_handler([m for _, m, _ in valid])
        HANDLER_SECONDS.labels(stream, group).observe(time.perf_counter() - started)

        done: list[bytes] = []
        retried: list[bytes] = []  # only these can have an error recorded to clear
        for (entry_id, message, deliveries), error in zip(valid, results, strict=True):
            if error is None:
                done.append(entry_id)
                if deliveries > 1:
                    retried.append(entry_id)
                continue
            fields = {b"type": message.type.encode(), b"data": message.model_dump_json().encode()}
            reason = f"{type(error).__name__}: {error}"
            if isinstance(error, PermanentError) or deliveries >= self.config.max_deliveries:
                await self._dead_letter(entry_id, fields, reason, deliveries)
            else:
                MESSAGES_HANDLED.labels(stream, group, "retry").inc()
                self.log.warning(
                    "handler failed; will retry",
                    status="retry",
                    entry_id=_text(entry_id),
                    type=message.type,
                    deliveries=deliveries,
                    error=reason,
                )
                await self.bus.redis.hset(self._errors_key, entry_id, reason[:2000])
        # Committed: acknowledged with the next read (or at stop). Dying before that only
        # means a redelivery, which the idempotency keys make harmless.
        self._acks_due.extend(done)
        self._errors_to_clear.extend(retried)
        return len(entries)

    def _queue_acks(self, pipe: aioredis.client.Pipeline) -> None:
        if self._acks_due:
            pipe.xack(self.key, self.config.group, *self._acks_due)
            MESSAGES_HANDLED.labels(self.config.stream, self.config.group, "acked").inc(
                len(self._acks_due)
            )
        if self._errors_to_clear:
            pipe.hdel(self._errors_key, *self._errors_to_clear)
        self._acks_due, self._errors_to_clear = [], []

    async def flush_acks(self) -> None:
        """Send the acknowledgements still held back."""
        if self._acks_due or self._errors_to_clear:
            pipe = self.bus.redis.pipeline(transaction=False)
            self._queue_acks(pipe)
            await pipe.execute()

    async def _call_handler(self, messages: list[Message]) -> HandlerResult:
        try:
            results = await self.handler(messages)
        except Exception as exc:  # a handler bug must not kill the consumer
            self.log.exception("batch handler raised", status="error")
            return [exc] * len(messages)
        if len(results) != len(messages):
            error = RuntimeError("handler returned the wrong number of results")
            return [error] * len(messages)
        return results

    async def _dead_letter(
        self, entry_id: bytes, entry: Fields, error: str, deliveries: int
    ) -> None:
        async with self.bus.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self.bus.dead_letter_key,
                {
                    "stream": self.config.stream,
                    "group": self.config.group,
                    "original_id": entry_id,
                    "type": entry.get(b"type", b""),
                    "data": entry.get(b"data", b""),
                    "error": error[:4000],
                    "deliveries": deliveries,
                    "dead_lettered_at": datetime.now(UTC).isoformat(),
                },
            )
            pipe.xack(self.key, self.config.group, entry_id)
            pipe.hdel(self._errors_key, entry_id)
            await pipe.execute()
        MESSAGES_HANDLED.labels(self.config.stream, self.config.group, "dead_letter").inc()
        self.log.error(
            "message dead-lettered",
            status="dead_letter",
            entry_id=_text(entry_id),
            error=error[:500],
            deliveries=deliveries,
        )

    async def _maintain(self) -> None:
        await self.bus.trim_safely(self.config.stream)
        for info in await self.bus.redis.xinfo_consumers(self.key, self.config.group):
            get = {_text(k): v for k, v in info.items()}
            name = _text(get["name"])
            idle = int(get.get("inactive", get.get("idle", 0)))
            if (
                name != self.config.name
                and not int(get["pending"])
                and (idle > self.config.stale_consumer_idle_ms)
            ):
                await self.bus.redis.xgroup_delconsumer(self.key, self.config.group, name)


def per_message(handle: Callable[[Message], Awaitable[None]]) -> BatchHandler:
    """Adapt a one-message handler to a batch handler (in order, errors per message)."""

    async def handle_batch(messages: Sequence[Message]) -> HandlerResult:
        results: list[BaseException | None] = []
        for message in messages:
            try:
                await handle(message)
            except Exception as exc:
                results.append(exc)
            else:
                results.append(None)
        return results

    return handle_batch
