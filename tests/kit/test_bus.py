"""The stream bus guarantees, each against real Redis and PostgreSQL.

Every test here would fail if the guarantee it names were removed: no reclaim, no
idempotency key, no dead-lettering, no safe trim.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta

import asyncpg
import pytest
import redis.asyncio as aioredis

from monstercoach_kit.bus import (
    Consumer,
    ConsumerConfig,
    HandlerResult,
    PermanentError,
    RetryLater,
    StreamBus,
    Trim,
    encode,
    per_message,
)
from monstercoach_kit.idempotency import IdempotentHandler
from monstercoach_schemas.messages import Message, ScanRequested, ScanRequestedPayload
from monstercoach_schemas.streams import Stream

STREAM = Stream.SCANS.value
GROUP = "testgroup"


def scan(i: int, key: str | None = None) -> ScanRequested:
    return ScanRequested(
        idempotency_key=key or f"scan-{i}",
        payload=ScanRequestedPayload(iso_week="2026-W47", requested_by=f"n{i}"),
    )


def config(name: str, **overrides: object) -> ConsumerConfig:
    options: dict[str, object] = {
        "block_ms": 50,
        "min_idle_ms": 200,
        "maintenance_every_s": 0.05,
        "max_deliveries": 3,
        "batch_size": 10,
    }
    options.update(overrides)
    return ConsumerConfig(stream=STREAM, group=GROUP, name=name, **options)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running(consumer: Consumer) -> AsyncIterator[asyncio.Task[None]]:
    # The group exists before the test looks at its pending list.
    await consumer.bus.ensure_group(consumer.config.stream, consumer.config.group)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll ``check`` (state lives in Redis/PostgreSQL, so there is no event to wait on)."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def pending(bus: StreamBus) -> int:
    summary = await bus.redis.xpending(bus.key(STREAM), GROUP)
    return int(summary["pending"])


@pytest.fixture
async def effects(pool: asyncpg.Pool) -> asyncpg.Pool:
    """A table for the side effect of the test handlers (truncated by ``pool``)."""
    await pool.execute(
        "CREATE TABLE IF NOT EXISTS bus_test_effects "
        "(idempotency_key text NOT NULL, requested_by text NOT NULL)"
    )
    return pool


async def record_effect(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
    rows = []
    for message in messages:
        assert isinstance(message, ScanRequested)
        rows.append((message.idempotency_key, message.payload.requested_by))
    await conn.executemany(
        "INSERT INTO bus_test_effects (idempotency_key, requested_by) VALUES ($1, $2)", rows
    )


async def effect_keys(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT idempotency_key FROM bus_test_effects ORDER BY 1")
    return [row[0] for row in rows]


class TestOrderingAndAck:
    async def test_messages_are_handled_in_publish_order_and_acked(self, bus: StreamBus) -> None:
        seen: list[str] = []

        async def handle(message: Message) -> None:
            seen.append(message.idempotency_key)

        await bus.publish_many([scan(i) for i in range(25)])
        consumer = Consumer(bus, config("c1"), per_message(handle))
        async with running(consumer):
            await eventually(lambda: _true(len(seen) == 25))
        assert seen == [f"scan-{i}" for i in range(25)]
        assert await pending(bus) == 0

    async def test_messages_encoded_ahead_keep_their_place_and_their_bytes(
        self, bus: StreamBus
    ) -> None:
        # A producer may serialise some messages early (in a worker thread) and hand the
        # rest as models: one order, and the entries are what publishing the models gives.
        messages = [scan(i) for i in range(6)]
        await bus.publish_many([encode(m) if i % 2 else m for i, m in enumerate(messages)])
        entries = await bus.redis.xrange(bus.key(STREAM))
        assert [fields[b"data"] for _, fields in entries] == [
            m.model_dump_json().encode() for m in messages
        ]
        assert {fields[b"type"] for _, fields in entries} == {b"scan.requested"}

    async def test_a_batch_slower_than_min_idle_is_not_reclaimed_by_its_own_consumer(
        self, bus: StreamBus
    ) -> None:
        handled: list[str] = []

        async def slow(message: Message) -> None:
            handled.append(message.idempotency_key)
            await asyncio.sleep(0.3)  # longer than min_idle_ms below

        await bus.ensure_group(STREAM, GROUP)
        await bus.publish(scan(1))
        consumer = Consumer(bus, config("slow", min_idle_ms=100), per_message(slow))
        assert await consumer.step() == 1
        # Maintenance is due now: it must acknowledge the batch before reclaiming idle ones.
        await asyncio.sleep(0.06)
        await consumer.step()
        assert handled == ["scan-1"]
        assert await pending(bus) == 0

    async def test_a_batch_read_ahead_is_handled_before_the_consumer_stops(
        self, bus: StreamBus
    ) -> None:
        """The next batch is read while one is handled; stopping must not strand it."""
        stop = asyncio.Event()
        seen: list[str] = []

        async def handle(messages: Sequence[Message]) -> HandlerResult:
            await asyncio.sleep(0.05)  # the read-ahead lands meanwhile
            seen.extend(message.idempotency_key for message in messages)
            stop.set()
            return [None] * len(messages)

        await bus.ensure_group(STREAM, GROUP)
        await bus.publish_many([scan(i) for i in range(20)])
        await asyncio.wait_for(Consumer(bus, config("c"), handle).run(stop), timeout=5)
        assert seen == [f"scan-{i}" for i in range(20)]
        assert await pending(bus) == 0

    async def test_publish_caps_stream_length_with_maxlen(
        self, redis: aioredis.Redis, redis_prefix: str
    ) -> None:
        capped = StreamBus(redis, prefix=redis_prefix, trim=Trim(maxlen=10))
        for start in range(0, 1000, 100):
            await capped.publish_many([scan(i) for i in range(start, start + 100)])
        # Approximate trimming drops whole radix-tree nodes (100 entries by default).
        assert await redis.xlen(capped.key(STREAM)) <= 200


class TestCrashRecovery:
    async def test_consumer_killed_mid_batch_loses_nothing(
        self, bus: StreamBus, effects: asyncpg.Pool
    ) -> None:
        """A consumer dies holding a batch; another reclaims it; each effect happens once."""
        started = asyncio.Event()

        async def apply_then_hang(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
            await record_effect(conn, messages)
            started.set()
            await asyncio.Event().wait()  # the process "dies" here, mid-transaction

        await bus.publish_many([scan(i) for i in range(10)])
        doomed = Consumer(bus, config("doomed"), IdempotentHandler(effects, "t", apply_then_hang))
        stop = asyncio.Event()
        task = asyncio.create_task(doomed.run(stop))
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()  # like kill -9: no ack, the open transaction rolls back
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert await pending(bus) == 10

        survivor = Consumer(bus, config("survivor"), IdempotentHandler(effects, "t", record_effect))
        async with running(survivor):
            await eventually(lambda: drained(bus))
        assert await effect_keys(effects) == sorted(f"scan-{i}" for i in range(10))

    async def test_redelivered_message_has_no_second_effect(
        self, bus: StreamBus, effects: asyncpg.Pool
    ) -> None:
        """Effects committed but the ack lost (crash): redelivery must not repeat them."""
        committed = asyncio.Event()
        handler = IdempotentHandler(effects, "t", record_effect)

        async def commit_then_die(messages: Sequence[Message]) -> HandlerResult:
            result = await handler(messages)  # committed in PostgreSQL...
            committed.set()
            await asyncio.Event().wait()  # ...and the process dies before XACK
            return result

        await bus.publish_many([scan(i) for i in range(5)])
        doomed = Consumer(bus, config("doomed"), commit_then_die)
        task = asyncio.create_task(doomed.run(asyncio.Event()))
        await asyncio.wait_for(committed.wait(), 5)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert await pending(bus) == 5

        survivor = Consumer(bus, config("survivor"), handler)
        async with running(survivor):
            await eventually(lambda: drained(bus))
        assert await effect_keys(effects) == [f"scan-{i}" for i in range(5)]

    async def test_duplicate_publish_of_one_key_applies_once(
        self, bus: StreamBus, effects: asyncpg.Pool
    ) -> None:
        await bus.publish_many([scan(1, key="same"), scan(2, key="same"), scan(3)])
        await bus.publish(scan(4, key="same"))
        consumer = Consumer(bus, config("c"), IdempotentHandler(effects, "t", record_effect))
        async with running(consumer):
            await eventually(lambda: drained(bus))
        assert await effect_keys(effects) == ["same", "scan-3"]
        by = await effects.fetchval(
            "SELECT requested_by FROM bus_test_effects WHERE idempotency_key = 'same'"
        )
        assert by == "n1"  # the first one won


class TestDeadLetters:
    async def test_poison_messages_are_dead_lettered_and_consumer_keeps_going(
        self, bus: StreamBus
    ) -> None:
        seen: list[str] = []

        async def handle(message: Message) -> None:
            seen.append(message.idempotency_key)

        key = bus.key(STREAM)
        await bus.publish(scan(0))
        await bus.redis.xadd(key, {"type": "scan.requested", "data": "{not json"})
        await bus.redis.xadd(key, {"garbage": "no data field at all"})
        bad = scan(9).model_dump(mode="json")
        bad["payload"]["iso_week"] = "2026-W99"
        await bus.redis.xadd(key, {"type": "scan.requested", "data": json.dumps(bad)})
        await bus.publish(scan(1))

        consumer = Consumer(bus, config("c"), per_message(handle))
        async with running(consumer):
            await eventually(lambda: _true(len(seen) == 2))
            await eventually(lambda: drained(bus))

        assert seen == ["scan-0", "scan-1"]
        letters = await bus.dead_letters()
        assert len(letters) == 3
        assert all(letter.error.startswith("invalid message") for letter in letters)
        assert "iso_week" in letters[2].error
        assert letters[0].data == "{not json"

    async def test_failing_handler_retries_then_dead_letters_with_last_error(
        self, bus: StreamBus
    ) -> None:
        attempts = 0

        async def always_fails(message: Message) -> None:
            nonlocal attempts
            attempts += 1
            raise RuntimeError(f"downstream said no (attempt {attempts})")

        await bus.publish(scan(0))
        consumer = Consumer(bus, config("c", max_deliveries=3), per_message(always_fails))
        async with running(consumer):
            await eventually(lambda: _dead_letters_are(bus, 1))
        assert attempts == 3
        [letter] = await bus.dead_letters()
        assert letter.deliveries == 3
        assert "RuntimeError: downstream said no (attempt 3)" in letter.error
        assert await pending(bus) == 0

    async def test_permanent_error_dead_letters_at_once(self, bus: StreamBus) -> None:
        calls = 0

        async def refuses(message: Message) -> None:
            nonlocal calls
            calls += 1
            raise PermanentError("client 42 does not exist")

        await bus.publish(scan(0))
        consumer = Consumer(bus, config("c", max_deliveries=5), per_message(refuses))
        async with running(consumer):
            await eventually(lambda: _dead_letters_are(bus, 1))
        [letter] = await bus.dead_letters()
        assert calls == 1
        assert letter.deliveries == 1
        assert "client 42 does not exist" in letter.error

    async def test_entry_whose_consumer_keeps_dying_is_dead_lettered(self, bus: StreamBus) -> None:
        """A message that crashes its consumer every time must not crash-loop the group."""
        await bus.publish(scan(0))
        await bus.ensure_group(STREAM, GROUP)
        key = bus.key(STREAM)
        await bus.redis.xreadgroup(GROUP, "crashed", {key: ">"})
        entry_id = (await bus.redis.xrange(key))[0][0]
        # Three consumers in a row took it and died: its delivery counter says so.
        await bus.redis.xclaim(key, GROUP, "crashed", 0, [entry_id], retrycount=3)
        handled: list[str] = []

        async def handle(message: Message) -> None:
            handled.append(message.idempotency_key)

        consumer = Consumer(bus, config("c", max_deliveries=3), per_message(handle))
        async with running(consumer):
            await eventually(lambda: _dead_letters_are(bus, 1))
        assert handled == []
        [letter] = await bus.dead_letters()
        assert "consumer stopped while handling it" in letter.error

    async def test_replay_puts_a_dead_letter_back_and_it_is_applied_once(
        self, bus: StreamBus, effects: asyncpg.Pool
    ) -> None:
        broken = True

        async def flaky(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
            if broken:
                raise PermanentError("downstream was broken")
            await record_effect(conn, messages)

        await bus.publish(scan(0))
        consumer = Consumer(bus, config("c"), IdempotentHandler(effects, "t", flaky))
        async with running(consumer):
            await eventually(lambda: _dead_letters_are(bus, 1))
            broken = False
            [letter] = await bus.dead_letters()
            await bus.replay_dead_letter(letter.id)
            await eventually(lambda: _effects_are(effects, 1))
            await eventually(lambda: drained(bus))
        assert await bus.dead_letter_count() == 0
        assert await effect_keys(effects) == ["scan-0"]
        with pytest.raises(KeyError):
            await bus.replay_dead_letter(letter.id)

    async def test_a_dead_letter_that_is_not_utf8_is_listed_and_replayed_byte_for_byte(
        self, bus: StreamBus
    ) -> None:
        key = bus.key(STREAM)
        garbage = {b"type": b"scan\xff", b"data": b"\xff\xfe{ \xe9t\xc3\xa9"}
        await bus.redis.xadd(key, garbage)
        consumer = Consumer(bus, config("c"), per_message(_noop))
        async with running(consumer):
            await eventually(lambda: _dead_letters_are(bus, 1))

        [letter] = await bus.dead_letters()
        assert letter.type == "scan\\xff"
        assert letter.data == "\\xff\\xfe{ \\xe9té"  # valid UTF-8 stays text
        assert letter.error.startswith("invalid message")

        await bus.replay_dead_letter(letter.id)
        [*_, (_, replayed)] = await bus.redis.xrange(key)
        assert replayed == garbage
        assert await bus.dead_letter_count() == 0


class TestRetryLater:
    """A message whose prerequisite is not recorded yet waits for it, within a bound."""

    async def test_it_is_retried_past_max_deliveries_until_it_succeeds(
        self, bus: StreamBus
    ) -> None:
        attempts = 0

        async def prerequisite_comes_late(message: Message) -> None:
            nonlocal attempts
            attempts += 1
            if attempts <= 5:
                raise RetryLater("client 42 is not recorded yet")

        await bus.publish(scan(0))
        consumer = Consumer(
            bus, config("c", min_idle_ms=50, max_deliveries=2), per_message(prerequisite_comes_late)
        )
        async with running(consumer):
            await eventually(lambda: drained(bus))
        assert attempts == 6
        assert await bus.dead_letter_count() == 0
        assert await bus.redis.keys(f"{bus.prefix}waits:*") == []  # forgotten once acked

    async def test_it_is_dead_lettered_once_older_than_the_wait(self, bus: StreamBus) -> None:
        attempts = 0

        async def never_there(message: Message) -> None:
            nonlocal attempts
            attempts += 1
            raise RetryLater("client 42 is not recorded yet")

        await bus.publish(scan(0))
        consumer = Consumer(
            bus,
            config("c", min_idle_ms=50, max_deliveries=2, prerequisite_wait_ms=600),
            per_message(never_there),
        )
        async with running(consumer):
            await eventually(lambda: _dead_letters_are(bus, 1))
        assert attempts > 2  # not stopped by max_deliveries
        [letter] = await bus.dead_letters()
        assert letter.error.startswith("a prerequisite was still missing 0:00:00 after")
        assert letter.error.endswith("last error: RetryLater: client 42 is not recorded yet")
        assert await pending(bus) == 0

    async def test_only_deliveries_that_did_not_wait_count_against_max_deliveries(
        self, bus: StreamBus
    ) -> None:
        outcomes: list[str] = []

        async def waits_then_fails(message: Message) -> None:
            if len(outcomes) < 3:
                outcomes.append("wait")
                raise RetryLater("client 42 is not recorded yet")
            outcomes.append("fail")
            raise RuntimeError("downstream said no")

        await bus.publish(scan(0))
        consumer = Consumer(
            bus, config("c", min_idle_ms=50, max_deliveries=2), per_message(waits_then_fails)
        )
        async with running(consumer):
            await eventually(lambda: _dead_letters_are(bus, 1))
        assert outcomes == ["wait", "wait", "wait", "fail", "fail"]
        [letter] = await bus.dead_letters()
        assert letter.deliveries == 5
        assert "RuntimeError: downstream said no" in letter.error


class TestBatchIsolation:
    async def test_one_poison_in_a_batch_does_not_block_its_neighbours(
        self, bus: StreamBus, effects: asyncpg.Pool
    ) -> None:
        async def apply(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
            if any(message.idempotency_key == "scan-2" for message in messages):
                raise PermanentError("bad row")
            await record_effect(conn, messages)

        await bus.publish_many([scan(i) for i in range(5)])
        consumer = Consumer(bus, config("c"), IdempotentHandler(effects, "t", apply))
        async with running(consumer):
            await eventually(lambda: drained(bus))
        assert await effect_keys(effects) == ["scan-0", "scan-1", "scan-3", "scan-4"]
        assert await bus.dead_letter_count() == 1


class TestTrimming:
    async def test_trim_keeps_unacknowledged_entries(self, bus: StreamBus) -> None:
        zero = StreamBus(bus.redis, prefix=bus.prefix, trim=Trim(retention=timedelta(0)))
        await zero.ensure_group(STREAM, GROUP)
        for start in range(0, 1000, 100):
            await zero.publish_many([scan(i) for i in range(start, start + 100)])
        key = zero.key(STREAM)
        # Read and ack the first 500; read but do not ack the next 100.
        first = await zero.redis.xreadgroup(GROUP, "c", {key: ">"}, count=500)
        await zero.redis.xack(key, GROUP, *[i for i, _ in first[0][1]])
        unacked = await zero.redis.xreadgroup(GROUP, "c", {key: ">"}, count=100)
        oldest_unacked = unacked[0][1][0][0]

        await zero.trim_safely(STREAM)
        remaining = await zero.redis.xrange(key, count=1)
        assert remaining[0][0] <= oldest_unacked  # nothing unacknowledged was trimmed
        assert await zero.redis.xlen(key) <= 600  # but acknowledged history was
        assert len(await zero.redis.xrange(key, min=oldest_unacked)) == 500

    async def test_trim_survives_a_group_acknowledging_between_its_two_reads(
        self, bus: StreamBus, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """XINFO GROUPS says a group has a pending entry; it is acked before XPENDING."""
        key = bus.key(STREAM)
        await bus.ensure_group(STREAM, "other")
        await bus.publish(scan(0))
        [[_, [(held, _)]]] = await bus.redis.xreadgroup("other", "o", {key: ">"})
        real_xpending = bus.redis.xpending

        async def acknowledged_meanwhile(*args: object, **kwargs: object) -> object:
            await bus.redis.xack(key, "other", held)
            return await real_xpending(*args, **kwargs)

        monkeypatch.setattr(bus.redis, "xpending", acknowledged_meanwhile)
        await bus.trim_safely(STREAM)
        assert await bus.redis.xlen(key) == 1  # within retention: nothing to trim

    async def test_a_failing_maintenance_does_not_stop_the_consumer(
        self, bus: StreamBus, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        seen: list[str] = []

        async def handle(message: Message) -> None:
            seen.append(message.idempotency_key)

        async def broken_trim(stream: str) -> int:
            raise RuntimeError("a bug in housekeeping")

        monkeypatch.setattr(bus, "trim_safely", broken_trim)
        consumer = Consumer(bus, config("c"), per_message(handle))
        async with running(consumer) as task:
            await bus.publish(scan(0))
            await eventually(lambda: _true(seen == ["scan-0"]))
            await asyncio.sleep(0.2)  # several failed maintenance rounds
            assert not task.done()
            await bus.publish(scan(1))
            await eventually(lambda: _true(seen == ["scan-0", "scan-1"]))


class TestRedisOutage:
    async def test_consumer_recreates_a_group_lost_with_its_stream(self, bus: StreamBus) -> None:
        """Redis restarted without persistence: the stream and group are gone."""
        seen: list[str] = []

        async def handle(message: Message) -> None:
            seen.append(message.idempotency_key)

        consumer = Consumer(bus, config("c"), per_message(handle))
        async with running(consumer) as task:
            await bus.publish(scan(0))
            await eventually(lambda: _true(seen == ["scan-0"]))
            await bus.redis.delete(bus.key(STREAM))
            await asyncio.sleep(0.2)  # the consumer hits NOGROUP on its next read
            assert not task.done()
            await bus.publish(scan(1))
            await eventually(lambda: _true(seen == ["scan-0", "scan-1"]))

    async def test_consumer_waits_out_an_unreachable_redis(self) -> None:
        dead = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
        consumer = Consumer(StreamBus(dead, prefix="x:"), config("c"), per_message(_noop))
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        await asyncio.sleep(1.0)
        assert not task.done()  # still retrying, not crashed
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        await dead.aclose()


async def _noop(message: Message) -> None:
    return None


async def _true(value: bool) -> bool:
    return value


async def drained(bus: StreamBus) -> bool:
    """Every entry in the stream has been read by the group and acknowledged."""
    [group] = await bus.redis.xinfo_groups(bus.key(STREAM))
    return int(group["lag"]) == 0 and int(group["pending"]) == 0


async def _dead_letters_are(bus: StreamBus, n: int) -> bool:
    return await bus.dead_letter_count() == n


async def _effects_are(pool: asyncpg.Pool, n: int) -> bool:
    return len(await effect_keys(pool)) == n
