"""Discord's rate limits as the simulator enforces them: fixed windows and their headers.

Discord counts requests in windows that open with the first request and close
``per_seconds`` later (the ``X-RateLimit-Reset-After`` a client sees). The global limit
(50 requests/s per bot) is one such window per token; each route has its own bucket per
major parameter (the channel of ``POST /channels/{id}/messages``, say).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BucketSpec:
    limit: int
    per_seconds: float


@dataclass
class Window:
    """One fixed window: ``limit`` requests until ``reset_at`` (monotonic seconds)."""

    spec: BucketSpec
    count: int = 0
    reset_at: float = 0.0

    def hit(self, now: float) -> float | None:
        """Count one request; ``None`` if allowed, else the seconds until the reset."""
        if now >= self.reset_at:
            self.count = 0
            self.reset_at = now + self.spec.per_seconds
        if self.count >= self.spec.limit:
            return self.reset_at - now
        self.count += 1
        return None

    def headers(self, now: float, bucket: str) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers discord.py's ``Ratelimit.update`` reads."""
        reset_after = ceil_ms(max(self.reset_at - now, 0.0))
        return {
            "X-RateLimit-Limit": str(self.spec.limit),
            "X-RateLimit-Remaining": str(max(self.spec.limit - self.count, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }


def bucket_hash(route: str) -> str:
    """An opaque, stable bucket id per route, shaped like Discord's."""
    return hashlib.blake2b(route.encode(), digest_size=16).hexdigest()


@dataclass
class Buckets:
    """Windows keyed by (route, major parameter), created on first use."""

    specs: dict[str, BucketSpec]
    windows: dict[tuple[str, str], Window] = field(default_factory=dict)

    def window(self, route: str, major: str) -> Window | None:
        spec = self.specs.get(route)
        if spec is None:
            return None
        key = (route, major)
        found = self.windows.get(key)
        if found is None:
            found = self.windows[key] = Window(spec)
        return found


@dataclass
class PeakRate:
    """The most requests that arrived within any ``span`` seconds (a sliding window)."""

    span: float = 1.0
    peak: int = 0
    _arrivals: deque[float] = field(default_factory=deque)

    def record(self, now: float) -> None:
        self._arrivals.append(now)
        while self._arrivals[0] <= now - self.span:
            self._arrivals.popleft()
        self.peak = max(self.peak, len(self._arrivals))


def ceil_ms(seconds: float) -> float:
    """Rounded up to the millisecond: a client sleeping the advertised time must not wake
    before the window really resets."""
    return math.ceil(seconds * 1000) / 1000


def retry_after_header(seconds: float) -> str:
    # The header is whole seconds (rounded up); the body carries the precise float.
    return str(max(math.ceil(seconds), 1))
