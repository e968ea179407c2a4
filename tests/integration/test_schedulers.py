"""Two schedulers tick at once; then the scheduler is down for two hours and restarted.

Both are ``monstercoach tick --at`` processes on the simulated clock. The two at once
are the worst case of a split brain (the ticks take no advisory lock): each due fire
must still be recorded once and enqueued once. The restart two hours later must catch
up what fell due within the grace window (15 minutes) and record everything older as
missed with reason ``scheduler_down``, never send it and never drop it silently.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from monstercoach_schemas.messages import FireMissed, parse_message
from monstercoach_schemas.streams import Stream

from .conftest import Stack
from .endstate import enqueue_counts
from .load import Day, FireKey, expected_fires, future_day, seed_clients

CLIENTS = 200
GRACE = timedelta(minutes=15)


@pytest.mark.timeout(180)
async def test_two_schedulers_at_once_then_down_for_two_hours(stack: Stack) -> None:
    started = time.monotonic()
    clients = await seed_clients(stack.pool, CLIENTS)
    day0 = future_day()
    first = day0 + timedelta(hours=7, minutes=35)
    restart = first + timedelta(hours=2)
    day = Day(stack.pool, stack.bus, clients, first - timedelta(hours=1), grace_minutes=60)
    # Fires placed around the grace boundary of the restart (UTC clients: local = UTC).
    utc = [c for c in clients if c.time_zone == "UTC"]
    late_by = {45: "missed", 16: "missed", 15: "caught up", 14: "caught up", 1: "caught up"}
    boundary = {
        restart - timedelta(minutes=m): (client, late_by[m])
        for m, client in zip(late_by, utc, strict=False)
    }
    for at, (client, _) in boundary.items():
        await day.move(client, "meals", "lunch_reminder", at.time())
    await day.prepare()
    await stack.start("api", "bot")

    # --- two at once ------------------------------------------------------------------
    due = expected_fires(clients, day.start, first, day.overrides)
    results = await asyncio.gather(
        *(
            stack.cli("tick", "--at", first.isoformat(), SCHEDULER_BATCH_SIZE="5",
                      SCHEDULER_GRACE_MINUTES="60")
            for _ in range(2)
        )
    )  # fmt: skip
    for code, output in results:
        assert code == 0, output
    ledger = await _ledger(stack)
    assert ledger.keys() == due, (
        f"{len(due - ledger.keys())} lost, {len(ledger.keys() - due)} extra"
    )
    counts = await enqueue_counts(stack.bus)
    assert set(counts) == {fire.delivery_id for fire in due}
    assert max(counts.values()) == 1, "a fire was enqueued by both schedulers"
    await day.answer(first)
    day.last_tick = first

    # --- down for two hours, then restarted ---------------------------------------------
    code, output = await stack.cli("tick", "--at", restart.isoformat())  # default grace: 15 min
    assert code == 0, output
    day.last_tick = restart
    await day.answer(restart)
    ledger = await _ledger(stack)
    after_outage = {k: r for k, r in ledger.items() if first < r["scheduled_for"] <= restart}
    assert after_outage.keys() == expected_fires(clients, first, restart, day.overrides)
    late = {k for k, r in after_outage.items() if restart - r["scheduled_for"] > GRACE}
    for key, row in after_outage.items():
        if key in late:
            assert (row["status"], row["reason"]) == ("missed", "scheduler_down"), dict(row)
            assert row["enqueued_at"] is None, dict(row)
            assert row["reported_at"] is not None, dict(row)
        else:
            assert row["status"] == "enqueued", dict(row)
    # The boundary: 15 minutes late is caught up, 16 is not.
    for at, (client, fate) in boundary.items():
        row = ledger[_fire(client.id, "meals", "lunch_reminder", at)]
        assert row["status"] == ("missed" if fate == "missed" else "enqueued"), (fate, dict(row))
    assert late, "nothing fell due more than the grace before the restart"
    assert len(late) < len(after_outage), "nothing fell due within the grace"

    # Missed fires are never sent, and each is reported once on the events stream.
    requested = await enqueue_counts(stack.bus)
    assert not {key.delivery_id for key in late} & requested.keys()
    reported = await _fire_missed(stack)
    assert all(reported[key] == 1 for key in late), "a scheduler_down fire was not reported"

    end = stack.end_state(day)
    settled = await end.wait(within=60)
    summary = await end.check(allow_missed=False)
    print(
        f"\nFIGURES schedulers: {len(due)} fires ticked by two at once, each once; after 2 h down "
        f"{len(after_outage) - len(late)} caught up, {len(late)} missed scheduler_down; "
        f"{summary}; settled {settled:.1f}s; {time.monotonic() - started:.1f}s"
    )


def _fire(client_id: object, engine: str, trigger: str, at: datetime) -> FireKey:
    return FireKey(engine, trigger, client_id, at.astimezone(UTC).date())  # type: ignore[arg-type]


async def _ledger(stack: Stack) -> dict[FireKey, dict[str, object]]:
    rows = await stack.pool.fetch("SELECT * FROM trigger_fires")
    return {
        FireKey(r["engine"], r["trigger"], r["client_id"], r["local_date"]): dict(r) for r in rows
    }


async def _fire_missed(stack: Stack) -> dict[FireKey, int]:
    counts: dict[FireKey, int] = {}
    for _, fields in await stack.redis.xrange(stack.bus.key(Stream.EVENTS)):
        message = parse_message(fields.get(b"data", b""))
        if isinstance(message, FireMissed):
            p = message.payload
            key = FireKey(p.engine, p.trigger, p.client_id, p.local_date)
            counts[key] = counts.get(key, 0) + 1
    return counts
