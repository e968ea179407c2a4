"""A consumer's stream maintenance races the other groups' acknowledgements.

``StreamBus.trim_safely`` (run by every consumer every few seconds) reads every group of
its stream with ``XINFO GROUPS`` and, for a group with pending entries, asks
``XPENDING`` for the oldest one. Another service can acknowledge its last pending entry
between the two calls (the api does so with every read), and ``XPENDING`` then answers
no oldest entry. Found by the Redis-restart fault test, where the scheduler's ledger
consumer died that way; here the interleaving is made to happen every time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

from monstercoach_kit.bus import Consumer, ConsumerConfig, HandlerResult, StreamBus
from monstercoach_schemas.messages import Message
from monstercoach_schemas.streams import Group, Stream
from tests.api.helpers import meal


async def test_a_consumer_survives_another_group_acknowledging_during_its_maintenance(
    bus: StreamBus,
) -> None:
    stream, other = Stream.EVENTS, Group.API
    key = bus.key(stream)
    await bus.ensure_group(stream, other)
    await bus.publish(meal(uuid.uuid4()))
    # The other service has read an entry and not yet acknowledged it...
    read = await bus.redis.xreadgroup(other, "api-1", {key: ">"}, count=1)
    held = read[0][1][0][0]

    real_xpending = bus.redis.xpending

    async def acknowledged_meanwhile(*args: Any, **kwargs: Any) -> Any:
        # ...and acknowledges it right after this consumer's XINFO GROUPS saw it pending.
        await bus.redis.xack(key, other, held)
        return await real_xpending(*args, **kwargs)

    bus.redis.xpending = acknowledged_meanwhile  # type: ignore[method-assign]

    handled: list[Message] = []

    async def handle(messages: Sequence[Message]) -> HandlerResult:
        handled.extend(messages)
        return [None] * len(messages)

    config = ConsumerConfig(
        stream=stream, group=Group.SCHEDULER, block_ms=50, maintenance_every_s=0.05
    )
    stop = asyncio.Event()
    running = asyncio.create_task(Consumer(bus, config, handle).run(stop))
    try:
        await asyncio.sleep(0.5)  # several maintenance rounds
        assert not running.done(), f"the consumer died: {running.exception()!r}"
        later = meal(uuid.uuid4())
        await bus.publish(later)
        async with asyncio.timeout(5):
            while later.id not in {m.id for m in handled}:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait({running}, timeout=5)
