"""The app's stream bus for request handlers, with Redis failures answered as 503."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from redis.exceptions import RedisError

from monstercoach_kit.bus import StreamBus
from monstercoach_kit.log import get_logger
from monstercoach_kit.runtime import Runtime
from monstercoach_schemas.messages import Envelope

from .errors import ApiError

log = get_logger(__name__)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_bus(request: Request) -> StreamBus:
    return get_runtime(request).bus


BusDep = Annotated[StreamBus, Depends(get_bus)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@contextlib.contextmanager
def redis_unavailable_as_503() -> Iterator[None]:
    """Turn a Redis outage inside the block into the error shape instead of a 500."""
    try:
        yield
    except (RedisError, OSError) as exc:
        log.warning("redis unavailable", status="unavailable", error=repr(exc))
        raise ApiError(
            503, "redis_unavailable", "The message bus is unavailable right now; try again."
        ) from exc


async def publish(bus: StreamBus, message: Envelope[Any]) -> str:
    """Publish inside the request: if Redis refuses, the request fails and its
    transaction rolls back, so nothing is recorded for a job that was never queued."""
    with redis_unavailable_as_503():
        return await bus.publish(message)
