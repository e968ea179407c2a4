"""Discord misbehaving for a while: 500s, a 429 storm, hangs, and users who cannot be DMed.

Each fault runs for a few seconds while deliveries are flowing. What must hold: every
delivery is sent exactly once or recorded missed with Discord's reason (and its fire
with it), a hung request that Discord completed after its attempt timed out is neither
sent a second time (the nonce) nor recorded missed, and the bot never provokes a global
429.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import redis.asyncio as aioredis

from monstercoach_bot.delivery import Deliverer, Sender
from monstercoach_discord_sim import Simulator
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.domain import DeliveryStatus
from tests.bot.conftest import (  # noqa: F401  (bot_settings, sender: fixtures)
    bot_settings,
    bot_settings_for,
    delivery,
    outcomes,
    records,
    sender,
    user_id,
)
from tests.discord_sim.conftest import sim  # noqa: F401  (a fixture)

from .conftest import Stack
from .load import Day, FireKey, future_day, seed_clients

CLIENTS = 100
FAULT_SECONDS = 4.0


@pytest.mark.timeout(180)
async def test_discord_500s_429_storms_hangs_and_closed_dms(stack: Stack) -> None:
    started = time.monotonic()
    clients = await seed_clients(stack.pool, CLIENTS)
    discord = stack.sim
    closed, unknown = clients[:3], clients[3:5]
    await discord.fault("dms_closed", user_ids=[c.discord_user_id for c in closed])
    await discord.fault("unknown_user", user_ids=[c.discord_user_id for c in unknown])
    day = Day(stack.pool, stack.bus, clients, future_day())
    await day.prepare()
    await stack.start("api", "bot", "scheduler")
    ticks = iter(day.ticks(24, 3))

    window = {"for_seconds": FAULT_SECONDS}
    phases: list[list[dict[str, Any]]] = [
        [{"kind": "error", "status": 500, "route": "create_message", **window}],
        # A storm of per-route 429s on both calls a DM takes (a hot bucket).
        [
            {"kind": "rate_limit", "seconds": 0.5, "route": route, **window}
            for route in ("create_message", "create_dm")
        ],
        # Longer than the bot's 3 s attempt timeout; Discord still completes the request.
        [{"kind": "hang", "seconds": 5.0, "route": "create_message", **window}],
    ]
    for faults in phases:
        await day.tick(next(ticks))
        await day.tick(next(ticks))
        await stack.until_dms(await stack.dms_sent() + 5)
        for fault in faults:
            await discord.fault(**fault)
        await asyncio.sleep(FAULT_SECONDS + 1)
    for at in ticks:
        await day.tick(at)

    end = stack.end_state(day)
    settled = await end.wait(within=120)

    stats = await discord.stats()
    injected = stats["injected"]
    for kind in ("error", "rate_limit", "hang"):
        assert injected.get(kind), (kind, injected)

    # Each closed or unknown user's DMs are missed, with Discord's reason.
    rows = await stack.pool.fetch(
        "SELECT client_id, status, last_error FROM deliveries WHERE client_id = ANY($1)",
        [c.id for c in closed + unknown],
    )
    assert rows
    for row in rows:
        assert row["status"] == "missed", dict(row)
        code = "50007" if row["client_id"] in {c.id for c in closed} else "10013"
        assert code in row["last_error"], dict(row)

    # A fire whose DM could not be delivered is closed in the ledger with that reason.
    missed = await stack.pool.fetch("SELECT id, last_error FROM deliveries WHERE status = 'missed'")
    fires = {
        FireKey(r["engine"], r["trigger"], r["client_id"], r["local_date"]).delivery_id: r
        for r in await stack.pool.fetch("SELECT * FROM trigger_fires")
    }
    for row in missed:
        fire = fires[row["id"]]
        assert fire["status"] in ("missed", "answered"), dict(fire)
        if fire["status"] == "missed" and fire["reason"].startswith("undeliverable"):
            assert row["last_error"][:60] in fire["reason"], (dict(fire), dict(row))

    summary = await end.check(allow_missed=True)
    assert summary.retried_then_sent > 0, "no delivery was retried and then sent"
    assert set(summary.missed) <= {"403 cannot DM", "404 unknown user", "gave up after retries"}
    print(
        f"\nFIGURES discord faults: {summary}; injected {dict(injected)}; peak "
        f"{stats['peak_per_second']}/s; settled {settled:.1f}s after the day; "
        f"{time.monotonic() - started:.1f}s"
    )


# --- a hang outlasting every attempt, deterministically ---------------------------------


async def test_a_delivery_discord_completed_after_its_attempts_timed_out_is_not_missed(
    bus: StreamBus,
    sender: Sender,  # noqa: F811  (the bot tests' fixture)
    redis: aioredis.Redis,
    redis_prefix: str,
    sim: Simulator,  # noqa: F811  (the simulator tests' fixture)
) -> None:
    settings = bot_settings_for(
        sim.api_base, delivery_attempt_timeout_seconds=0.1, delivery_backoff_seconds=0.05
    )
    deliverer = Deliverer(bus, records(redis, redis_prefix), sender, settings)
    # The first max_attempts attempts hang past their timeout; Discord completes each (the
    # first creates the DM, the others match its nonce). A resend that Discord answers
    # says so, where giving up after those attempts would record a delivered DM missed.
    user = user_id(7)
    sim.faults.hang(0.5, count=settings.delivery_max_attempts, route="create_message")

    await deliverer([delivery(user)])
    await sim.wait_idle()

    [outcome] = await outcomes(bus)
    [message] = sim.world.messages_to(user)
    assert (outcome.status, outcome.discord_message_id) == (DeliveryStatus.SENT, message["id"])
