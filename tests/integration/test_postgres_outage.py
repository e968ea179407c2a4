"""PostgreSQL unreachable from the api for a while: 503s, consumers hold, nothing lost.

The api reaches PostgreSQL through a TCP relay in this test; cutting it resets every
open connection and every new one, as a lost server or network path does. The rest of
the system keeps its own path and keeps working: the scheduler ticks, the bot sends,
and their events wait in Redis for the api.

The cut lasts 30 s, as the issue asks: the pool's connections die, ``/health`` turns
503, the consumer's held batch waits in :class:`DatabaseGate` (whose probe backs off
0.5, 1, 2, 4, 8 s to its 10 s cap) while the backlog grows behind it, and the api
resumes within one probe interval of the database coming back.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from monstercoach_schemas.streams import Group, Stream

from .conftest import MakeStack
from .endstate import eventually
from .load import Day, future_day, seed_clients
from .processes import TcpProxy

CLIENTS = 100
OUTAGE_SECONDS = 30.0


def through(url: str, port: int) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.mark.timeout(240)
async def test_postgres_unreachable_from_the_api_then_back(
    make_stack: MakeStack, database_url: str
) -> None:
    started = time.monotonic()
    upstream = urlsplit(database_url)
    proxy = TcpProxy(upstream.hostname or "127.0.0.1", upstream.port or 5432)
    await proxy.start()
    try:
        stack = await make_stack()
        clients = await seed_clients(stack.pool, CLIENTS)
        day = Day(stack.pool, stack.bus, clients, future_day())
        await day.prepare()
        stack.service("api", DATABASE_URL=through(database_url, proxy.port))
        await stack.start("api", "bot", "scheduler")
        coach = await stack.coach()
        assert (await coach.get("/health")).status_code == 200
        ticks = day.ticks(24, 3)
        for at in ticks[:3]:
            await day.tick(at)

        async def recording() -> list[str]:
            n = await stack.pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'sent'")
            return [] if n >= 50 else [f"{n} deliveries recorded sent"]

        await eventually(recording, within=30, every=0.05)

        proxy.cut()
        cut_at = time.monotonic()
        recorded_at_cut = await stack.pool.fetchval("SELECT count(*) FROM deliveries")
        sent_at_cut = await stack.dms_sent()

        async def health_503() -> list[str]:
            response = await coach.get("/health")
            body = response.json()
            if response.status_code == 503 and body["postgres"]["status"] == "down":
                assert body["redis"]["status"] == "ok"
                return []
            return [f"/health {response.status_code}: {body}"]

        await eventually(health_503, within=10, every=0.2)
        roster = await coach.get("/clients")
        assert roster.status_code == 503, roster.text
        assert roster.json()["error"]["code"] == "database_unavailable"

        # The day goes on without the api's database.
        for at in ticks[3:6]:
            await day.tick(at)
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))

        held = await _group(stack, Stream.EVENTS, Group.API)
        assert held["pending"] + held["lag"] > 0, "the api's backlog is empty: nothing held"
        assert await stack.bus.dead_letter_count() == 0, "the outage spent messages"
        assert await stack.pool.fetchval("SELECT count(*) FROM deliveries") == recorded_at_cut
        sent_during = await stack.dms_sent() - sent_at_cut
        assert sent_during > 0, "the bot stopped sending while the api's database was down"
        assert proxy.refused > 0, "the api never tried to reconnect during the outage"

        proxy.restore()
        restored_at = time.monotonic()

        async def healthy() -> list[str]:
            response = await coach.get("/health")
            return [] if response.status_code == 200 else [f"/health {response.status_code}"]

        await eventually(healthy, within=15, every=0.2)
        recovered = time.monotonic() - restored_at
        for at in ticks[6:]:
            await day.tick(at)
        end = stack.end_state(day)
        settled = await end.wait(within=90)
        summary = await end.check(allow_missed=False)
        assert (await coach.get("/clients")).status_code == 200
        await coach.aclose()
        print(
            f"\nFIGURES postgres outage ({OUTAGE_SECONDS:g}s): {summary}; backlog at the end "
            f"of the outage {held}; {sent_during} DMs sent meanwhile; healthy {recovered:.1f}s "
            f"after; settled {settled:.1f}s after the day; {time.monotonic() - started:.1f}s"
        )
    finally:
        await proxy.close()


async def _group(stack: object, stream: Stream, group: Group) -> dict[str, int]:
    bus = stack.bus  # type: ignore[attr-defined]
    for info in await bus.redis.xinfo_groups(bus.key(stream)):
        if info["name"].decode() == group.value:
            return {"pending": int(info["pending"]), "lag": int(info["lag"] or 0)}
    raise AssertionError(f"no group {group} on {stream}")
