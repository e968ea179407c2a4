"""Composing the next minute's fires ahead: used only when nothing they came from changed."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from monstercoach_kit.bus import StreamBus
from monstercoach_kit.db import create_pool
from monstercoach_kit.settings import KitSettings
from monstercoach_scheduler import composers, service
from monstercoach_scheduler.engines.base import FireContext
from monstercoach_scheduler.tick import Ticker
from monstercoach_schemas.messages import DeliveryRequested, JobCardIssued

from .conftest import AddClient, read_stream

# A date far from the wall clock, so a message stamped when it was composed in the tick
# (now) cannot be taken for one stamped with its fire's instant (composed ahead).
BEFORE = datetime(2027, 1, 14, 6, 0, tzinfo=UTC)
AHEAD = datetime(2027, 1, 14, 6, 59, 30, tzinfo=UTC)
CARD_TIME = datetime(2027, 1, 14, 7, 0, tzinfo=UTC)  # 07:00 in UTC: the morning job card


async def cards(bus: StreamBus) -> dict[str, DeliveryRequested]:
    """The job-card DMs sent, by the client's name in them."""
    sent = [m for m in await read_stream(bus, "deliveries") if isinstance(m, DeliveryRequested)]
    return {m.payload.text.split("!")[0].removeprefix("Good morning "): m for m in sent}


async def test_fires_composed_ahead_go_out_as_composed_stamped_with_their_instant(
    ticker: Ticker, add_client: AddClient, bus: StreamBus
) -> None:
    for name in ("Ana Silva", "Ben Okafor"):
        await add_client("UTC", display_name=name)
    await ticker.prepare(BEFORE)

    assert await ticker.compose_ahead(AHEAD) == 2
    report = await ticker.tick(CARD_TIME)

    assert (report.fired, report.published) == (2, 2)
    sent = await cards(bus)
    assert set(sent) == {"Ana", "Ben"}
    assert {m.created_at for m in sent.values()} == {CARD_TIME}
    issued = [m for m in await read_stream(bus, "events") if isinstance(m, JobCardIssued)]
    assert {m.created_at for m in issued} == {CARD_TIME}


async def test_a_client_changed_since_is_composed_again_by_the_tick(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    ana = await add_client("UTC", display_name="Ana Silva")
    await add_client("UTC", display_name="Ben Okafor", target_steps=9000)
    await ticker.prepare(BEFORE)
    await ticker.compose_ahead(AHEAD)

    await pool.execute("UPDATE clients SET display_name = 'Anabel Silva' WHERE id = $1", ana)
    await pool.execute("UPDATE clients SET target_steps = 12000 WHERE display_name = 'Ben Okafor'")
    await ticker.tick(CARD_TIME)

    sent = await cards(bus)
    assert set(sent) == {"Anabel", "Ben"}
    assert "12,000 steps" in sent["Ben"].payload.text
    assert all(m.created_at != CARD_TIME for m in sent.values())  # composed in the tick


async def test_only_the_next_minutes_fires_of_active_clients_are_composed(
    ticker: Ticker, add_client: AddClient
) -> None:
    await add_client("UTC")
    await add_client("Europe/Berlin")  # 07:00 in Berlin was an hour earlier
    await add_client("UTC", status="paused")
    await ticker.prepare(BEFORE)

    assert await ticker.compose_ahead(AHEAD) == 1
    assert await ticker.compose_ahead(CARD_TIME) == 0  # 07:01 is no trigger's time


async def test_an_engine_that_fails_ahead_is_left_to_its_tick(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_client("UTC", display_name="Ana Silva")
    await ticker.prepare(BEFORE)

    def broken(context: FireContext) -> list[DeliveryRequested]:
        raise RuntimeError("engine bug")

    monkeypatch.setitem(composers.COMPOSERS, ("jobcard", "morning_card"), broken)
    assert await ticker.compose_ahead(AHEAD) == 0
    monkeypatch.undo()  # fixed before the fire: the tick composes it

    assert (await ticker.tick(CARD_TIME)).published == 1
    assert set(await cards(bus)) == {"Ana"}


async def test_composing_ahead_without_postgresql_leaves_it_all_to_the_tick(
    ticker: Ticker, add_client: AddClient, bus: StreamBus
) -> None:
    await add_client("UTC", display_name="Ana Silva")
    await ticker.prepare(BEFORE)
    assert await ticker.compose_ahead(AHEAD) == 1

    live = ticker.pool
    dead = KitSettings(DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere")
    ticker.pool = await create_pool(dead, min_size=0)
    try:
        await service.compose_ahead(ticker, AHEAD)  # logs; must not raise
    finally:
        await ticker.pool.close()
        ticker.pool = live

    # What had been composed before the failure was dropped with it: composed now.
    assert (await ticker.tick(CARD_TIME)).published == 1
    [card] = (await cards(bus)).values()
    assert card.created_at != CARD_TIME
