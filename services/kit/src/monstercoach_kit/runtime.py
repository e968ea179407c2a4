"""What every service holds while it runs: settings, Redis, the bus, a heartbeat."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from .bus import StreamBus
from .health import heartbeat_loop, start_metrics_server
from .settings import KitSettings


@dataclass
class Runtime:
    service: str
    settings: KitSettings
    redis: aioredis.Redis
    bus: StreamBus


@contextlib.asynccontextmanager
async def open_runtime(service: str, settings: KitSettings | None = None) -> AsyncIterator[Runtime]:
    """Connect to Redis, start the heartbeat and metrics; undo it all on exit.

    Redis being down at start-up is not fatal: the heartbeat and the consumers retry.
    """
    settings = settings or KitSettings()
    client = aioredis.Redis.from_url(settings.redis_url)
    start_metrics_server(settings.metrics_port)
    beat = asyncio.create_task(
        heartbeat_loop(client, settings.key_prefix, service, settings.heartbeat_seconds),
        name=f"{service}-heartbeat",
    )
    try:
        yield Runtime(service, settings, client, StreamBus(client, prefix=settings.key_prefix))
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
        await client.aclose()


def runtime_until_stopped(service: str) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    """A service main that holds the runtime (heartbeat, metrics) until stopped.

    Worker services start from this while their own loops are being built.
    """

    async def run(stop: asyncio.Event) -> None:
        async with open_runtime(service):
            await stop.wait()

    return run
