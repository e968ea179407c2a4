"""Delivery end to end: the deliveries stream, discord.py's client, the simulated Discord,
and the outcome on the events stream. Every count is taken from the simulator."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from structlog.testing import capture_logs

from monstercoach_bot.delivery import Deliverer, Sender, consumer_config
from monstercoach_bot.render import delivery_nonce
from monstercoach_bot.settings import BotSettings
from monstercoach_discord_sim import Simulator
from monstercoach_kit.bus import Consumer, StreamBus
from monstercoach_schemas.domain import DeliveryStatus
from monstercoach_schemas.messages import FireRef
from monstercoach_schemas.streams import Group, Stream
from tests.bot.conftest import bot_settings_for, delivery, outcomes, records, user_id

USER = user_id(1)


async def consume_until(consumer: Consumer, done: Callable[[], Awaitable[bool]]) -> None:
    """Run the consumer until ``done`` holds, then stop it (which flushes its acks)."""
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        async with asyncio.timeout(10):
            while not await done():  # noqa: ASYNC110 - the state is in Redis
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


def make_consumer(bus: StreamBus, deliverer: Deliverer, settings: BotSettings) -> Consumer:
    return Consumer(bus, dataclasses.replace(consumer_config(settings), block_ms=50), deliverer)


def outcome_count(bus: StreamBus, n: int) -> Callable[[], Awaitable[bool]]:
    async def reached() -> bool:
        return len(await outcomes(bus)) >= n

    return reached


def logged_statuses(logs: list[dict[str, object]]) -> list[object]:
    return [entry["status"] for entry in logs if "delivery_id" in entry]


class TestSent:
    async def test_sent_once_with_its_buttons_then_acknowledged(
        self, bus: StreamBus, deliverer: Deliverer, bot_settings: BotSettings, sim: Simulator
    ) -> None:
        fire = FireRef(engine="jobcard", trigger="morning_card", local_date=date(2026, 11, 26))
        request = delivery(USER, fire=fire, client_id=uuid.uuid4())
        await bus.publish(request)
        consumer = make_consumer(bus, deliverer, bot_settings)
        assert (consumer.config.stream, consumer.config.group) == (Stream.DELIVERIES, Group.BOT)

        await consume_until(consumer, outcome_count(bus, 1))

        [outcome] = await outcomes(bus)
        [message] = sim.world.messages_to(USER)
        assert outcome.status is DeliveryStatus.SENT
        assert outcome.attempts == 1
        assert outcome.discord_message_id == message["id"]
        assert (outcome.delivery_id, outcome.client_id) == (
            request.payload.delivery_id,
            request.payload.client_id,
        )
        assert outcome.fire == fire
        assert outcome.rendered_text == f"{request.payload.text}\n[Done] [Skip]"
        assert message["content"] == request.payload.text
        buttons = message["components"][0]["components"]
        assert [b["custom_id"] for b in buttons] == ["jobcard:done:1", "jobcard:skip:1"]
        pending = await bus.redis.xpending(bus.key(Stream.DELIVERIES), Group.BOT)
        assert pending["pending"] == 0

    async def test_a_users_dm_channel_is_opened_once(
        self, deliverer: Deliverer, sim: Simulator
    ) -> None:
        await deliverer([delivery(USER)])
        await deliverer([delivery(USER)])
        assert sim.world.message_counts() == {USER: 2}
        assert sim.stats.requests["create_dm"] == 1

    async def test_a_batch_is_sent_concurrently_up_to_the_bound(
        self,
        bus: StreamBus,
        sender: Sender,
        redis: aioredis.Redis,
        redis_prefix: str,
        sim: Simulator,
    ) -> None:
        settings = bot_settings_for(sim.api_base, delivery_concurrency=3)
        deliverer = Deliverer(bus, records(redis, redis_prefix), sender, settings)
        # Each message hangs a moment, so sends in flight together overlap at Discord.
        sim.faults.hang(0.1, count=6, route="create_message")
        await bus.publish_many([delivery(user_id(n)) for n in range(6)])

        await consume_until(make_consumer(bus, deliverer, settings), outcome_count(bus, 6))

        assert sim.stats.peak_in_flight == 3
        assert sim.world.message_counts() == {user_id(n): 1 for n in range(6)}


class TestIdempotency:
    async def test_a_redelivered_job_sends_no_second_dm(
        self, bus: StreamBus, deliverer: Deliverer, sim: Simulator
    ) -> None:
        request = delivery(USER)
        assert await deliverer([request]) == [None]
        with capture_logs() as logs:
            assert await deliverer([request]) == [None]
        assert sim.world.message_counts() == {USER: 1}
        assert sim.stats.requests["create_message"] == 1
        assert len(await outcomes(bus)) == 1
        assert logged_statuses(logs) == ["duplicate"]

    async def test_a_crash_after_sending_does_not_duplicate(
        self, bus: StreamBus, deliverer: Deliverer, sender: Sender, sim: Simulator
    ) -> None:
        request = delivery(USER)
        # The first attempt reached Discord, then the bot died before recording anything.
        await sender.send(
            USER, request.payload.text, None, delivery_nonce(request.payload.delivery_id)
        )

        await deliverer([request])

        [outcome] = await outcomes(bus)
        [message] = sim.world.messages_to(USER)
        assert sim.stats.nonce_replays == 1
        assert outcome.status is DeliveryStatus.SENT
        assert outcome.discord_message_id == message["id"]


class TestRetries:
    async def test_server_errors_are_retried_until_sent(
        self, bus: StreamBus, deliverer: Deliverer, sim: Simulator
    ) -> None:
        sim.faults.error(503, count=2, route="create_message")
        with capture_logs() as logs:
            await deliverer([delivery(USER)])
        [outcome] = await outcomes(bus)
        assert outcome.status is DeliveryStatus.SENT
        assert outcome.attempts == 3
        assert logged_statuses(logs) == ["retrying", "retrying", "sent"]
        assert sim.world.message_counts() == {USER: 1}

    async def test_three_failures_make_it_missed_for_good(
        self, bus: StreamBus, deliverer: Deliverer, sim: Simulator
    ) -> None:
        request = delivery(USER)
        sim.faults.error(503, count=3, route="create_message")
        await deliverer([request])
        [outcome] = await outcomes(bus)
        assert outcome.status is DeliveryStatus.MISSED
        assert outcome.attempts == 3
        assert outcome.error is not None
        assert "gave up after 3 attempts" in outcome.error
        assert "503" in outcome.error
        # Missed is an outcome: the job redelivered once Discord is back sends nothing.
        await deliverer([request])
        assert sim.world.message_counts() == {USER: 0}

    async def test_a_timeout_is_retried_without_a_second_message(
        self,
        bus: StreamBus,
        sender: Sender,
        redis: aioredis.Redis,
        redis_prefix: str,
        sim: Simulator,
    ) -> None:
        settings = bot_settings_for(sim.api_base, delivery_attempt_timeout_seconds=0.1)
        deliverer = Deliverer(bus, records(redis, redis_prefix), sender, settings)
        sim.faults.hang(0.3, count=1, route="create_message")

        await deliverer([delivery(USER)])
        await sim.wait_idle()

        [outcome] = await outcomes(bus)
        assert (outcome.status, outcome.attempts) == (DeliveryStatus.SENT, 2)
        # The hung first attempt landed after the retry, and Discord matched its nonce.
        assert sim.world.message_counts() == {USER: 1}
        assert sim.stats.nonce_replays == 1


class TestMissed:
    @pytest.mark.parametrize(
        ("fault", "code", "requests"),
        [
            ("close_dms", "50007", {"create_dm": 1, "create_message": 1}),
            ("make_unknown", "10013", {"create_dm": 1}),
        ],
    )
    async def test_a_permanent_error_is_missed_at_once(
        self,
        bus: StreamBus,
        deliverer: Deliverer,
        sim: Simulator,
        fault: str,
        code: str,
        requests: dict[str, int],
    ) -> None:
        getattr(sim.faults, fault)(USER)
        with capture_logs() as logs:
            await deliverer([delivery(USER)])
        [outcome] = await outcomes(bus)
        assert (outcome.status, outcome.attempts) == (DeliveryStatus.MISSED, 1)
        assert outcome.error is not None
        assert code in outcome.error
        assert {k: v for k, v in sim.stats.requests.items() if k != "get_me"} == requests
        assert logged_statuses(logs) == ["missed"]

    async def test_a_delivery_past_not_after_is_missed_unsent(
        self, bus: StreamBus, deliverer: Deliverer, sim: Simulator
    ) -> None:
        late = datetime.now(UTC) - timedelta(minutes=1)
        await deliverer([delivery(USER, not_after=late)])
        [outcome] = await outcomes(bus)
        assert (outcome.status, outcome.attempts) == (DeliveryStatus.MISSED, 0)
        assert outcome.error is not None
        assert "not_after" in outcome.error
        assert set(sim.stats.requests) == {"get_me"}


class TestDryRun:
    async def test_without_a_token_the_rendered_text_is_recorded(
        self, bus: StreamBus, redis: aioredis.Redis, redis_prefix: str
    ) -> None:
        settings = BotSettings(_env_file=None)
        assert settings.dry_run
        deliverer = Deliverer(bus, records(redis, redis_prefix), None, settings)
        request = delivery(USER)
        with capture_logs() as logs:
            await deliverer([request])
        [outcome] = await outcomes(bus)
        assert (outcome.status, outcome.attempts) == (DeliveryStatus.DRY_RUN, 0)
        assert outcome.rendered_text == f"{request.payload.text}\n[Done] [Skip]"
        [entry] = [e for e in logs if "delivery_id" in e]
        assert entry["status"] == "dry_run"
        assert entry["rendered_text"] == outcome.rendered_text
