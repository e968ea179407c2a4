"""Keep every Discord REST call under the global limit, across every bot instance.

A GCRA token bucket in Redis: a call reserves the next free slot (slots are ``1/rate``
apart) in one atomic script timed by Redis' own clock, then sleeps until its slot.
Redis' clock means bot instances on different hosts agree on time; reserving rather
than "try, and poll until allowed" (the ``limits`` library's model) means no polling.
No burst is allowed: a request at every slot is the most Discord's per-second window
can take without a global 429.

Within one process the calls queue on a lock and each reserves its slot only when the
previous one has been used. Slots reserved far ahead would all come due together after
an event-loop stall (a GC pause, a busy CPU) and go out in a burst; here a stall only
delays the queue, and a send never follows this process's previous one by less than an
interval (minus a small tolerance, so ordinary sleep overshoot does not add up).

The limiter hooks into aiohttp's ``on_request_start`` trace, which discord.py exposes as
``HTTPClient(http_trace=...)``: every request the client makes is counted, including
its own retries after a 429 or a 5xx, not only the calls the bot makes on purpose.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import aiohttp
import redis.asyncio as aioredis

RESERVE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local next_free = slot + interval
-- %.0f: Lua's default number formatting would round microseconds away.
redis.call('SET', KEYS[1], string.format('%.0f', next_free),
           'PX', math.floor((next_free - now) / 1000) + 1000)
return slot - now
"""
"""Reserve the next slot; returns the microseconds to wait for it."""


STALL_TOLERANCE_S = 0.010
"""Lateness absorbed without pushing the schedule back: ordinary scheduling delay on a
busy host. Two sends can then come this much closer than an interval, which spends that
much of the jitter the rate's headroom covers (48/s: ~40 ms)."""


class DiscordRateLimiter:
    def __init__(self, redis: aioredis.Redis, key: str, per_second: float):
        self.key = key
        self.interval = 1 / per_second
        self._reserve = redis.register_script(RESERVE_SLOT)
        self._turn = asyncio.Lock()
        self._next_send = 0.0
        """Event-loop time before which this process sends nothing."""

    async def acquire(self) -> None:
        """Wait for this call's slot (a cancelled wait simply leaves its slot unused)."""
        async with self._turn:
            wait_us = int(await self._reserve(keys=[self.key], args=[round(self.interval * 1e6)]))
            loop = asyncio.get_running_loop()
            now = loop.time()
            due = max(now + wait_us / 1_000_000, self._next_send)
            if due > now:
                await asyncio.sleep(due - now)
            self._next_send = max(due, loop.time() - STALL_TOLERANCE_S) + self.interval

    def trace_config(self) -> aiohttp.TraceConfig:
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(self._before_request)
        return trace

    async def _before_request(
        self,
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        _params: aiohttp.TraceRequestStartParams,
    ) -> None:
        await self.acquire()
