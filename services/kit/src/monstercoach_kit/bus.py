"""The stream bus: Redis streams with consumer groups, at-least-once, dead letters.

Producers ``XADD`` envelopes (pipelined, ``MAXLEN ~`` capped). A :class:`Consumer` reads
new entries with ``XREADGROUP``, periodically takes over entries whose consumer died
with ``XAUTOCLAIM``, hands batches to a handler and ``XACK``s only what the handler
committed. An entry that fails validation, raises :class:`PermanentError`, or has been
delivered ``max_deliveries`` times goes to the dead-letter stream with its error and is
acked in the same ``MULTI``, so a poison message never crash-loops a consumer. An entry
whose handler raised :class:`RetryLater` (its prerequisite is not recorded yet) is
retried without spending its deliveries until it is ``prerequisite_wait_ms`` old. The
next batch is read and validated while the handler commits the current one.

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


class RetryLater(Exception):
    """Raised by a handler when a prerequisite of the message is not recorded yet.

    Delivery is at least once but not in order: after a crash, a client's check-in can
    be handled while their onboarding still sits in a dead consumer's pending list, and
    another service's group may read an event long before the api recorded what it
    refers to. Such an entry is retried every ``min_idle_ms`` like any failure, but these
    deliveries do not count against ``max_deliveries``; only once the entry is
    ``prerequisite_wait_ms`` old (from its publish time) is it dead-lettered, replayable.
    """


@dataclass(frozen=True, slots=True)
class Encoded:
    """A message serialised for its stream ahead of publishing: a producer that composes
    in a worker thread serialises there too, off the event loop's critical path."""

    stream: str
    type: bytes
    data: bytes


def encode(message: Envelope[Any]) -> Encoded:
    return Encoded(
        STREAM_OF[message.type], message.type.encode(), message.model_dump_json().encode()
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _shown(value: bytes) -> str:
    """Bytes as text for people: any that are not UTF-8 appear as ``\\xNN`` escapes."""
    return value.decode(errors="backslashreplace")


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
    """A dead letter as listed. Its fields are shown as text: bytes that are not UTF-8
    (a hostile or broken producer's data) appear as ``\\xNN`` escapes, while a replay
    republishes the stored bytes themselves."""

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
local blob, at = ARGV[3], 1
local ids = {}
for k, type_len, data_len in string.gmatch(ARGV[2], '(%d+) (%d+) (%d+)') do
    local key = KEYS[tonumber(k)]
    local type_end = at + tonumber(type_len)
    local data_end = type_end + tonumber(data_len)
    local type_, data = string.sub(blob, at, type_end - 1), string.sub(blob, type_end, data_end - 1)
    at = data_end
    if maxlen > 0 then
        ids[#ids + 1] = redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*',
                                   'type', type_, 'data', data)
    else
        ids[#ids + 1] = redis.call('XADD', key, '*', 'type', type_, 'data', data)
    end
end
return ids
"""
"""``XADD`` the entries laid out by ARGV[2] (per entry: stream index, type length, data
length) from the bytes of ARGV[3] (each entry's type then data), in order; ARGV[1] is
MAXLEN (0: none)."""


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

    async def publish_many(self, messages: Sequence[Envelope[Any] | Encoded]) -> list[str]:
        """Append messages (or messages :func:`encode` serialised before) in order;
        returns their entry ids.

        A server-side script adds a chunk of entries per call: one command to encode and
        one reply to parse instead of one per message, which is where a pipelined XADD
        loop spends most of its client time. The entries travel as one byte string and
        their lengths, since redis-py encodes each argument in Python (three per entry
        cost more than serializing the envelope).
        """
        ids: list[str] = []
        for start in range(0, len(messages), _PUBLISH_CHUNK):
            ids += await self._publish_chunk(messages[start : start + _PUBLISH_CHUNK])
        return ids

    async def _publish_chunk(self, messages: Sequence[Envelope[Any] | Encoded]) -> list[str]:
        keys: dict[str, int] = {}
        layout: list[str] = []
        blob: list[bytes] = []
        for message in messages:
            entry = message if isinstance(message, Encoded) else encode(message)
            key = self.key(entry.stream)
            number = keys.setdefault(key, len(keys) + 1)
            layout.append(f"{number} {len(entry.type)} {len(entry.data)}")
            blob += (entry.type, entry.data)
        maxlen = 0 if self.trim.maxlen is None else self.trim.maxlen
        args: list[int | str | bytes] = [maxlen, " ".join(layout), b"".join(blob)]
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
        get = {_shown(k): _shown(v) for k, v in entry.items()}
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
        already happened is still applied at most once. The stored bytes are put back,
        not the listed text, which differs for data that is not UTF-8.
        """
        entries: Any = await self.redis.xrange(
            self.dead_letter_key, min=dead_letter_id, max=dead_letter_id
        )
        if not entries:
            raise KeyError(f"no dead letter {dead_letter_id}")
        fields: Fields = entries[0][1]
        stream = _shown(fields.get(b"stream", b""))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self.key(stream),
                {"type": fields.get(b"type", b""), "data": fields.get(b"data", b"")},
                maxlen=self.trim.maxlen,
                approximate=True,
            )
            pipe.xdel(self.dead_letter_key, dead_letter_id)
            new_id, _ = await pipe.execute()
        log.info(
            "dead letter replayed",
            status="replayed",
            dead_letter_id=dead_letter_id,
            stream=stream,
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
                # The group may have acknowledged its last pending entries since XINFO
                # GROUPS: then it has no oldest pending entry, and what it reads from now
                # on lies after the last-delivered-id taken above.
                if summary["min"] is not None:
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

_REDIS_UNAVAILABLE = (aioredis.ConnectionError, aioredis.TimeoutError, OSError)
"""Errors that mean Redis cannot be reached: waited out by :meth:`Consumer.run`."""


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
    slowest handler's time for two batches (the next one is read ahead while one is
    handled), and is the back-off before a failed entry retries."""
    max_deliveries: int = 5
    prerequisite_wait_ms: int = 12 * 3_600_000
    """How long after its publication an entry whose handler raises :class:`RetryLater`
    is still retried: long enough for the api to be down overnight while the scheduler
    reads the events that refer to clients only the api records."""
    maintenance_every_s: float = 5.0
    stale_consumer_idle_ms: int = 3_600_000


@dataclass(slots=True)
class _Entry:
    """An entry as read, validated: ``message`` or, if it is not one, ``invalid`` (why)."""

    id: bytes
    fields: Fields
    deliveries: int
    message: Message | None
    invalid: str | None


def _validated(entries: Sequence[tuple[bytes, Fields]], counts: dict[bytes, int]) -> list[_Entry]:
    """Parse each entry's envelope; ``counts`` gives deliveries (absent: first delivery)."""
    result = []
    for entry_id, fields in entries:
        try:
            message, invalid = parse_message(fields.get(b"data", b"")), None
        except (ValidationError, ValueError) as exc:
            message, invalid = None, f"invalid message: {exc}"
        result.append(_Entry(entry_id, fields, counts.get(entry_id, 1), message, invalid))
    return result


class Consumer:
    """One member of a consumer group, running a batch handler until stopped."""

    def __init__(self, bus: StreamBus, config: ConsumerConfig, handler: BatchHandler):
        self.bus = bus
        self.config = config
        self.handler = handler
        self.key = bus.key(config.stream)
        self._errors_key = f"{bus.prefix}errors:{config.stream}:{config.group}"
        # Per entry, how many of its deliveries ended in RetryLater (not counted as failed).
        self._waits_key = f"{bus.prefix}waits:{config.stream}:{config.group}"
        self._next_maintenance = 0.0
        self._acks_due: list[bytes] = []
        self._errors_to_clear: list[bytes] = []
        self._read_ahead: list[_Entry] = []
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
                # Entries already read ahead are handled now rather than left pending
                # until another consumer reclaims them.
                await self._process(self._take_read_ahead())
                await self.flush_acks()
            except aioredis.ResponseError as exc:
                # A Redis restarted without persistence lost the stream and its group:
                # recreate them (top of the loop) rather than die.
                if not any(marker in str(exc) for marker in _STREAM_LOST):
                    raise
                self.log.warning("consumer group vanished; recreating", status="waiting")
                self._acks_due, self._errors_to_clear, self._read_ahead = [], [], []
            except _REDIS_UNAVAILABLE as exc:
                self.log.warning("redis unavailable; retrying", status="waiting", error=str(exc))
                # Entries read ahead are still pending for this name: drained on the retry.
                self._read_ahead = []
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, 10.0)

    async def step(self) -> int:
        """One round: maintenance when due, then one batch of new entries.

        The batch is the one read ahead during the previous round, or else comes from a
        blocking read. While the handler commits it, the next batch is read (without
        blocking) and validated: the Redis round trip and the validation overlap the
        handler's PostgreSQL round trips instead of following them.
        """
        handled = 0
        if time.monotonic() >= self._next_maintenance:
            # Acknowledge the last batch first: a batch slower than min_idle_ms would
            # otherwise look abandoned and be reclaimed (and counted again) by ourselves.
            await self.flush_acks()
            handled += await self.reclaim()
            await self._maintain()
            self._next_maintenance = time.monotonic() + self.config.maintenance_every_s
        batch = self._take_read_ahead() or await self._read_new(self.config.block_ms)
        if not batch:
            return handled
        read_ahead = asyncio.create_task(self._read_new(None))
        try:
            handled += await self._process(batch)
        except BaseException:
            # What it read stays pending for this name: drained when run() starts over.
            read_ahead.cancel()
            await asyncio.gather(read_ahead, return_exceptions=True)
            raise
        self._read_ahead = await read_ahead
        return handled

    def _take_read_ahead(self) -> list[_Entry]:
        batch, self._read_ahead = self._read_ahead, []
        return batch

    async def _read_new(self, block_ms: int | None) -> list[_Entry]:
        """Read and validate new entries (``None``: only those already there)."""
        # The acknowledgements due ride in the same round trip as the read.
        pipe = self.bus.redis.pipeline(transaction=False)
        self._queue_acks(pipe)
        pipe.xreadgroup(
            self.config.group,
            self.config.name,
            {self.key: ">"},
            count=self.config.batch_size,
            block=block_ms,
        )
        response = (await pipe.execute())[-1]
        # Entries read with ">" are on their first delivery.
        return [e for _stream, entries in response or [] for e in _validated(entries, {})]

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
                handled += await self._process(_validated(entries, counts))
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
            await self._process(_validated(entries, counts))
            cursor = _text(entries[-1][0])

    async def _delivery_counts(self, ids: Sequence[bytes]) -> dict[bytes, int]:
        pipe = self.bus.redis.pipeline(transaction=False)
        for entry_id in ids:
            pipe.xpending_range(self.key, self.config.group, min=entry_id, max=entry_id, count=1)
        counts: dict[bytes, int] = {}
        for entry_id, rows in zip(ids, await pipe.execute(), strict=True):
            counts[entry_id] = int(rows[0]["times_delivered"]) if rows else 1
        return counts

    async def _process(self, entries: Sequence[_Entry]) -> int:
        """Dead-letter the hopeless, hand the rest to the handler, ack."""
        stream, group = self.config.stream, self.config.group
        valid: list[tuple[bytes, Message, int]] = []
        for entry in entries:
            entry_id, deliveries = entry.id, entry.deliveries
            if entry.message is None:
                reason = entry.invalid or "invalid message"
                await self._dead_letter(entry_id, entry.fields, reason, deliveries)
                continue
            if deliveries > self.config.max_deliveries:
                failed, last = await self._failed_deliveries(entry_id, deliveries)
                if failed > self.config.max_deliveries:
                    reason = last or "consumer stopped while handling it"
                    await self._dead_letter(
                        entry_id,
                        entry.fields,
                        f"gave up after {failed - 1} deliveries; last error: {reason}",
                        deliveries,
                    )
                    continue
            valid.append((entry_id, entry.message, deliveries))
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
            if isinstance(error, RetryLater):
                await self._wait_for_prerequisite(entry_id, fields, message, reason, deliveries)
            elif isinstance(error, PermanentError) or await self._was_last_try(
                entry_id, deliveries
            ):
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
            pipe.hdel(self._waits_key, *self._errors_to_clear)
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

    async def _failed_deliveries(self, entry_id: bytes, deliveries: int) -> tuple[int, str | None]:
        """The deliveries that count against ``max_deliveries`` (all but those that ended
        in :class:`RetryLater`; a delivery whose consumer died counts), and the last error."""
        pipe = self.bus.redis.pipeline(transaction=False)
        pipe.hget(self._errors_key, entry_id)
        pipe.hget(self._waits_key, entry_id)
        last, waits = await pipe.execute()
        return deliveries - int(waits or 0), None if last is None else _text(last)

    async def _was_last_try(self, entry_id: bytes, deliveries: int) -> bool:
        """Whether this failed delivery spent the entry's last of ``max_deliveries``."""
        if deliveries < self.config.max_deliveries:
            return False  # no need to ask Redis: fewer deliveries than that in all
        failed, _ = await self._failed_deliveries(entry_id, deliveries)
        return failed >= self.config.max_deliveries

    async def _wait_for_prerequisite(
        self, entry_id: bytes, fields: Fields, message: Message, reason: str, deliveries: int
    ) -> None:
        """Retry an entry that raised :class:`RetryLater`, or dead-letter it once too old."""
        # The entry id is its publication time (ms) on the Redis clock.
        waited_ms = int(time.time() * 1000) - _parse_id(_text(entry_id))[0]
        if waited_ms >= self.config.prerequisite_wait_ms:
            waited = timedelta(seconds=waited_ms // 1000)
            await self._dead_letter(
                entry_id,
                fields,
                f"a prerequisite was still missing {waited} after publication; last error: "
                f"{reason}",
                deliveries,
            )
            return
        MESSAGES_HANDLED.labels(self.config.stream, self.config.group, "waiting").inc()
        self.log.info(
            "prerequisite not recorded yet; will retry",
            status="waiting",
            entry_id=_text(entry_id),
            type=message.type,
            deliveries=deliveries,
            error=reason,
        )
        pipe = self.bus.redis.pipeline(transaction=False)
        pipe.hset(self._errors_key, entry_id, reason[:2000])
        pipe.hincrby(self._waits_key, entry_id, 1)
        await pipe.execute()

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
            pipe.hdel(self._waits_key, entry_id)
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
        """Trim the stream and forget stale consumers.

        Housekeeping only: it must never stop the consumer, so an unexpected error is
        logged and the next round tries again. Only an unreachable Redis goes up to
        :meth:`run`, which waits it out (the next read would fail the same way).
        """
        try:
            await self.bus.trim_safely(self.config.stream)
            await self._forget_stale_consumers()
        except _REDIS_UNAVAILABLE:
            raise
        except Exception:
            self.log.exception("stream maintenance failed; consuming on", status="error")

    async def _forget_stale_consumers(self) -> None:
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
