"""Buttons and forms survive a restart: a fresh bot answers what an earlier one (or the
scheduler, through delivery) put in a client's DMs. The bot keeps nothing in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg
import redis.asyncio as aioredis

from monstercoach_discord_sim import Simulator, Upload
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.buttons import checkin_button, jobcard_item_buttons, meal_button
from monstercoach_schemas.messages import CheckinAnswered, JobCardItemMarked, MealLogged
from tests.bot.harness import (
    MODAL,
    UPDATE,
    add_card,
    add_client,
    components,
    deliver,
    discord_user,
    published,
    running_bot,
)

CLIENT = discord_user(4)
NOON = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


async def test_buttons_sent_before_a_restart_work_after_it(
    sim: Simulator, pool: asyncpg.Pool, bus: StreamBus, redis: aioredis.Redis, redis_prefix: str
) -> None:
    client_id = await add_client(pool, CLIENT)
    card, items = await add_card(pool, client_id, date(2026, 11, 26), ["10 min mobility"])
    async with running_bot(sim, pool, bus, redis, redis_prefix) as before:
        card_dm = await deliver(
            before, CLIENT, "Today's job card", jobcard_item_buttons(card, items[0], "mobility")
        )
        prompt = await deliver(before, CLIENT, "Check in?", [checkin_button(date(2026, 11, 26))])
        reminder = await deliver(before, CLIENT, "Lunch?", [meal_button()])

    async with running_bot(sim, pool, bus, redis, redis_prefix) as after:
        after.at(NOON)
        _, answer = await after.click(CLIENT, card_dm, f"jc:{card}:{items[0]}:d")
        assert answer["type"] == UPDATE
        edited = sim.world.find_message(card_dm["channel_id"], card_dm["id"])
        assert edited is not None
        assert components(edited)[0]["disabled"] is True
        opened, answer = await after.click(CLIENT, prompt, "checkin:2026-11-26")
        assert answer["type"] == MODAL
        await after.submit(opened, {"energy": "7"})
        opened, answer = await after.click(CLIENT, reminder, "meal")
        assert answer["type"] == MODAL
        await after.submit(opened, {"description": "Soup"})

    kinds = [type(m) for m in await published(bus)]
    assert kinds == [JobCardItemMarked, CheckinAnswered, MealLogged]


async def test_a_form_opened_before_a_restart_is_saved_after_it(
    sim: Simulator, pool: asyncpg.Pool, bus: StreamBus, redis: aioredis.Redis, redis_prefix: str
) -> None:
    await add_client(pool, CLIENT)
    async with running_bot(sim, pool, bus, redis, redis_prefix) as before:
        checkin, _ = await before.slash(CLIENT, "checkin", unit="lb")
        meal, _ = await before.slash(CLIENT, "meal", photo=Upload())

    async with running_bot(sim, pool, bus, redis, redis_prefix) as after:
        answer = await after.submit(checkin, {"weight": "200", "unit": "lb"})
        assert "90.7 kg" in answer["data"]["content"]
        await after.submit(meal, {"description": "Steak and greens", "kcal": "700"})

    checked_in, logged = await published(bus)
    assert isinstance(checked_in, CheckinAnswered)
    assert checked_in.payload.weight_kg == 90.7
    assert isinstance(logged, MealLogged)
    assert logged.payload.photo_url is not None  # it waited in Redis, not in the bot


async def test_two_bots_on_one_click_publish_it_once(
    sim: Simulator, pool: asyncpg.Pool, bus: StreamBus, redis: aioredis.Redis, redis_prefix: str
) -> None:
    # A rolling deploy: both sessions get the interaction; Discord takes one answer, and
    # both bots' events carry the same idempotency key, which the api applies once.
    await add_client(pool, CLIENT)
    async with (
        running_bot(sim, pool, bus, redis, redis_prefix) as first,
        running_bot(sim, pool, bus, redis, redis_prefix),
    ):
        refused = sim.stats.statuses
        opened, _ = await first.slash(CLIENT, "checkin")
        # The slower bot was told the command was answered already, and let it be.
        await sim.world.wait_for(lambda: refused[400] == 1)
        payload = sim.interactions.submit(opened, {"energy": "9"})
        assert await sim.gateway.dispatch("INTERACTION_CREATE", payload) == 2
        await sim.world.callback_for(payload)
        await sim.world.wait_for(lambda: refused[400] == 2)
    messages = await published(bus)
    assert len(messages) == 2
    assert all(isinstance(m, CheckinAnswered) for m in messages)
    assert len({m.idempotency_key for m in messages}) == 1
