"""Service heartbeats in Redis and Prometheus metrics.

A heartbeat is a small hash under ``<prefix>heartbeat:<service>`` refreshed every few
seconds with a TTL of three intervals: a key that is gone means the service is down;
the api reads them all for its health page.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from .log import get_logger

log = get_logger(__name__)

MESSAGES_HANDLED = Counter(
    "mc_bus_messages_total", "Stream messages by outcome", ["stream", "group", "status"]
)
HANDLER_SECONDS = Histogram(
    "mc_bus_batch_seconds", "Time to handle one batch of stream messages", ["stream", "group"]
)
HEARTBEAT_TIMESTAMP = Gauge("mc_heartbeat_timestamp_seconds", "Last heartbeat written", ["service"])


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat_key(prefix: str, service: str) -> str:
    return f"{prefix}heartbeat:{service}"


async def beat(
    redis: aioredis.Redis, prefix: str, service: str, ttl_seconds: float, **details: Any
) -> None:
    now = datetime.now(UTC)
    record = {"service": service, "instance": instance_name(), "at": now.isoformat(), **details}
    await redis.set(heartbeat_key(prefix, service), json.dumps(record), px=int(ttl_seconds * 1000))
    HEARTBEAT_TIMESTAMP.labels(service).set(now.timestamp())


async def heartbeat_loop(
    redis: aioredis.Redis, prefix: str, service: str, interval: float, **details: Any
) -> None:
    """Beat every ``interval`` seconds until cancelled; Redis outages are logged, not fatal."""
    while True:
        try:
            await beat(redis, prefix, service, interval * 3, **details)
        except (aioredis.RedisError, OSError) as exc:
            log.warning("heartbeat failed", status="error", error=str(exc))
        await asyncio.sleep(interval)


async def read_heartbeats(redis: aioredis.Redis, prefix: str) -> dict[str, dict[str, Any]]:
    beats: dict[str, dict[str, Any]] = {}
    async for key in redis.scan_iter(match=heartbeat_key(prefix, "*"), count=100):
        raw = await redis.get(key)
        if raw is not None:
            record = json.loads(raw)
            beats[record["service"]] = record
    return beats


def start_metrics_server(port: int) -> None:
    """Expose /metrics on ``port`` (0 = off). Runs in a daemon thread."""
    if port:
        with contextlib.suppress(OSError):
            start_http_server(port)
            return
        log.error("metrics port busy", status="error", port=port)
