"""Per-client-IP rate limit on Redis through the ``limits`` library (moving window).

The client IP is the socket peer, or ``Fly-Client-IP`` when the app is configured to sit
behind Fly's proxy, which sets that header itself and overwrites any value a client sent.
``X-Forwarded-For`` is never read: anyone can write it, so trusting it would hand every
caller a fresh quota per request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from typing import Any

import redis.asyncio as aioredis
from limits import RateLimitItem
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from starlette.types import ASGIApp, Receive, Scope, Send

from monstercoach_kit.log import get_logger

from .errors import error_response

log = get_logger(__name__)

PROXY_CLIENT_IP_HEADER = b"fly-client-ip"
EXEMPT_PATHS = frozenset({"/health"})
"""/health is polled by Fly's and Docker's health checks from a few proxy addresses; a
429 there would get a healthy app restarted. It reads nothing a caller could abuse."""

# Redis must answer the limiter within about this, or the request goes through (fail open).
REDIS_TIMEOUT_SECONDS = 0.5


def client_key(scope: Scope, trust_proxy: bool) -> str:
    """The quota key for a request: its IP, or its /64 for IPv6 (one subscriber's
    allocation, which they can rotate through at will)."""
    raw = None
    if trust_proxy:
        raw = dict(scope["headers"]).get(PROXY_CLIENT_IP_HEADER, b"").decode("latin-1").strip()
    if not raw:
        client = scope.get("client")
        raw = client[0] if client else ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class IpRateLimiter:
    """The limiter and its own Redis connection pool (opened and closed by the app)."""

    def __init__(self, redis_url: str, key_prefix: str, item: RateLimitItem):
        self.item = item
        # Its own pool with short timeouts: the shared client serves blocking stream
        # reads, which a socket timeout this short would break.
        self._pool = aioredis.ConnectionPool.from_url(
            redis_url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        # ``limits`` types its pass-through options as scalars; a pool is what redis-py
        # takes here, and owning it is what lets the app close it on shutdown.
        options: dict[str, Any] = {"connection_pool": self._pool}
        self._limiter = MovingWindowRateLimiter(
            RedisStorage(
                f"async+{redis_url}",
                implementation="redispy",
                key_prefix=f"{key_prefix}ratelimit",
                wrap_exceptions=True,
                **options,
            )
        )
        self._storage_down = False

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def retry_after(self, key: str) -> int | None:
        """Count one request for ``key``: ``None`` if allowed, else seconds to wait."""
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS * 2):
                if await self._limiter.hit(self.item, "ip", key):
                    self._storage_recovered()
                    return None
                stats = await self._limiter.get_window_stats(self.item, "ip", key)
        except (StorageError, TimeoutError, aioredis.RedisError, OSError) as exc:
            # Fail open: with Redis down, refusing every coach would turn a limiter
            # outage into a full outage, while the limit only guards against abuse.
            self._storage_failed(exc)
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _storage_failed(self, exc: BaseException) -> None:
        if not self._storage_down:  # one line per outage, not one per request
            log.warning(
                "rate limiter unavailable; failing open", status="fail_open", error=repr(exc)
            )
        self._storage_down = True

    def _storage_recovered(self) -> None:
        if self._storage_down:
            log.info("rate limiter back", status="ok")
        self._storage_down = False


class RateLimitMiddleware:
    """ASGI middleware: every HTTP request except :data:`EXEMPT_PATHS` counts."""

    def __init__(self, app: ASGIApp, limiter: IpRateLimiter, trust_proxy: bool) -> None:
        self.app = app
        self.limiter = limiter
        self.trust_proxy = trust_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        wait = await self.limiter.retry_after(client_key(scope, self.trust_proxy))
        if wait is None:
            await self.app(scope, receive, send)
            return
        response = error_response(
            429,
            "rate_limited",
            f"Too many requests from your address; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
        await response(scope, receive, send)
