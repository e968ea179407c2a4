"""Delivery end to end: the deliveries stream, discord.py's client, the simulated Discord,
and the outcome on the events stream. Every count is taken from the simulator."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import discord
import pytest
import redis.asyncio as aioredis
from structlog.testing import capture_logs

from monstercoach_bot.delivery import (
    Deliverer,
    Sender,
    consumer_config,
    reclaim_after_ms,
    resend_window,
)
from monstercoach_bot.render import delivery_nonce
from monstercoach_bot.settings import BotSettings
from monstercoach_discord_sim import Simulator
from monstercoach_kit.bus import Consumer, StreamBus
from monstercoach_schemas.domain import DeliveryStatus
from monstercoach_schemas.messages import FireRef
from monstercoach_schemas.streams import Group, Stream
from tests.bot.conftest import bot_settings_for, delivery, outcomes, records, user_id
from tests.processes import free_port

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


def logged_statuses(logs: Sequence[Mapping[str, Any]]) -> list[object]:
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


ATTEMPT_TIMEOUT = 0.2
HANG = 0.5
"""Longer than an attempt: the bot times out, and Discord completes the request later."""


@pytest.fixture
def impatient(
    bus: StreamBus, sender: Sender, redis: aioredis.Redis, redis_prefix: str, sim: Simulator
) -> Callable[..., Deliverer]:
    """Deliverers whose attempts time out quickly (their resend window: 1.6 s)."""

    def make(**overrides: Any) -> Deliverer:
        settings = bot_settings_for(
            sim.api_base, delivery_attempt_timeout_seconds=ATTEMPT_TIMEOUT, **overrides
        )
        return Deliverer(bus, records(redis, redis_prefix), sender, settings)

    return make


class TestOutcomeUnknown:
    """A timed-out attempt may have created the message: only Discord's answer to a resend
    with the same nonce settles it."""

    async def test_timeouts_past_max_attempts_are_resent_until_discord_answers(
        self, bus: StreamBus, impatient: Callable[..., Deliverer], sim: Simulator
    ) -> None:
        deliverer = impatient()
        attempts = deliverer.settings.delivery_max_attempts
        sim.faults.hang(HANG, count=attempts, route="create_message")
        with capture_logs() as logs:
            await deliverer([delivery(USER)])
        await sim.wait_idle()

        [outcome] = await outcomes(bus)
        [message] = sim.world.messages_to(USER)
        # The first hung attempt created the DM; the resend got it back by its nonce.
        assert (outcome.status, outcome.attempts) == (DeliveryStatus.SENT, attempts + 1)
        assert outcome.discord_message_id == message["id"]
        assert logged_statuses(logs) == ["retrying"] * attempts + ["sent"]

    async def test_an_error_answer_to_a_resend_leaves_the_outcome_unknown(
        self, bus: StreamBus, impatient: Callable[..., Deliverer], sim: Simulator
    ) -> None:
        # Two attempts, so that every request fits in the channel's 5 messages per 5 s.
        attempts = 2
        deliverer = impatient(delivery_max_attempts=attempts)
        sim.faults.hang(HANG, count=1, route="create_message")
        sim.faults.error(503, count=attempts, route="create_message")

        await deliverer([delivery(USER)])
        await sim.wait_idle()

        # A 503 says that resend created nothing, not that the hung first attempt did not.
        [outcome] = await outcomes(bus)
        [message] = sim.world.messages_to(USER)
        assert (outcome.status, outcome.attempts) == (DeliveryStatus.SENT, attempts + 2)
        assert outcome.discord_message_id == message["id"]

    async def test_a_refusal_after_timeouts_is_missed_with_discords_reason(
        self, bus: StreamBus, impatient: Callable[..., Deliverer], sim: Simulator
    ) -> None:
        deliverer = impatient()
        attempts = deliverer.settings.delivery_max_attempts
        sim.faults.hang(HANG, count=attempts, route="create_message")
        sim.faults.close_dms(USER)

        await deliverer([delivery(USER)])
        await sim.wait_idle()

        [outcome] = await outcomes(bus)
        assert (outcome.status, outcome.attempts) == (DeliveryStatus.MISSED, attempts + 1)
        assert outcome.error is not None
        assert "50007" in outcome.error
        assert sim.world.message_counts() == {USER: 0}

    async def test_hanging_past_the_nonce_window_leaves_it_failed_as_unknown(
        self, bus: StreamBus, impatient: Callable[..., Deliverer], sim: Simulator
    ) -> None:
        deliverer = impatient()
        window = resend_window(deliverer.settings)
        sim.faults.hang(HANG, for_seconds=window + 1, route="create_message")
        request = delivery(USER)
        started = asyncio.get_running_loop().time()
        with capture_logs() as logs:
            await deliverer([request])
        took = asyncio.get_running_loop().time() - started
        await sim.wait_idle()

        [outcome] = await outcomes(bus)
        assert outcome.status is DeliveryStatus.FAILED
        assert outcome.attempts > deliverer.settings.delivery_max_attempts
        assert outcome.error is not None
        assert outcome.error.startswith(f"outcome unknown after {outcome.attempts} attempts")
        assert outcome.error.endswith(f"last error: no answer within {ATTEMPT_TIMEOUT:g}s")
        # Every resend was over while Discord still matched the nonce (one more would have
        # taken another timeout)...
        assert took < window + ATTEMPT_TIMEOUT
        # ...and rightly so: the hung requests did land, as one DM.
        assert sim.world.message_counts() == {USER: 1}
        assert logged_statuses(logs)[-1] == "failed"
        # Failed is an outcome: a redelivered job sends nothing more.
        await deliverer([request])
        assert len(await outcomes(bus)) == 1

    def test_a_batch_resending_to_the_end_of_the_window_is_not_reclaimed(self) -> None:
        settings = BotSettings(_env_file=None)
        assert reclaim_after_ms(settings) > resend_window(settings) * 1000

    async def test_a_connection_never_made_is_not_an_unknown_outcome(
        self, bus: StreamBus, redis: aioredis.Redis, redis_prefix: str, sim: Simulator
    ) -> None:
        class Unreachable:
            """Discord's address refuses connections: nothing was ever sent."""

            async def send(
                self, recipient_id: str, content: str, view: discord.ui.View | None, nonce: str
            ) -> str:
                async with aiohttp.ClientSession() as session:
                    await session.post(f"http://127.0.0.1:{free_port()}/api/v10/messages")
                raise AssertionError("nothing listens there")

        settings = bot_settings_for(sim.api_base)
        deliverer = Deliverer(bus, records(redis, redis_prefix), Unreachable(), settings)

        await deliverer([delivery(USER)])

        [outcome] = await outcomes(bus)
        assert (outcome.status, outcome.attempts) == (DeliveryStatus.MISSED, 3)
        assert outcome.error is not None
        assert outcome.error.startswith("gave up after 3 attempts")
        assert "ClientConnectorError" in outcome.error


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
