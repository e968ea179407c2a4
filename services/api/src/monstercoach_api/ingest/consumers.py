"""The api's stream consumers, run inside the api process for as long as it serves.

One consumer per stream its group reads (``CONSUMERS``): ``events`` (everything that
happened) and ``deliveries`` (only to record each delivery as queued when asked for).
A backlog left while the api was down is simply read from where the group stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from monstercoach_kit.bus import Consumer, ConsumerConfig, StreamBus
from monstercoach_kit.idempotency import DatabaseGate, IdempotentHandler
from monstercoach_kit.log import get_logger
from monstercoach_schemas.streams import CONSUMERS, Group

from .handlers import apply_stream

log = get_logger(__name__)

API_STREAMS = tuple(stream for stream, groups in CONSUMERS.items() if Group.API in groups)
STOP_GRACE_SECONDS = 2.5
"""Under uvicorn's own grace, so SIGTERM to exit stays within a few seconds."""


def build_consumers(
    bus: StreamBus, pool: asyncpg.Pool, stop: asyncio.Event, **config: Any
) -> list[Consumer]:
    """The api group's consumers; ``config`` overrides :class:`ConsumerConfig` defaults."""
    return [
        Consumer(
            bus,
            ConsumerConfig(stream=stream, group=Group.API, **config),
            # One idempotency scope per stream: producers on different streams pick
            # their keys independently, so they must not be able to collide.
            DatabaseGate(
                IdempotentHandler(pool, f"api:{stream}", apply_stream(stream)), pool, stop
            ),
        )
        for stream in API_STREAMS
    ]


@contextlib.asynccontextmanager
async def running_consumers(
    bus: StreamBus, pool: asyncpg.Pool, **config: Any
) -> AsyncIterator[None]:
    """Run the api's consumers until the block exits, then stop them within the grace."""
    stop = asyncio.Event()
    consumers = build_consumers(bus, pool, stop, **config)
    tasks = [
        asyncio.create_task(consumer.run(stop), name=f"api-consumer-{consumer.config.stream}")
        for consumer in consumers
    ]
    for task in tasks:
        task.add_done_callback(_report_crash)
    try:
        yield
    finally:
        stop.set()
        _, late = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _report_crash(task: asyncio.Task[None]) -> None:
    # Consumer.run waits out Redis outages itself; anything escaping it is a bug that
    # must be visible, since the api keeps serving HTTP without it.
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "stream consumer stopped",
            status="error",
            task=task.get_name(),
            exc_info=task.exception(),
        )
