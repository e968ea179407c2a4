"""A client's free-text DM: logged as ``dm.received`` and relayed to every coach."""

from __future__ import annotations

from monstercoach_bot.delivery import Deliverer
from monstercoach_bot.features.common import NOT_ONBOARDED
from monstercoach_bot.features.dm import COACH_HINT, RELAYED
from monstercoach_discord_sim import Simulator
from monstercoach_schemas.domain import DeliveryKind
from monstercoach_schemas.messages import DeliveryRequested, DmReceived
from monstercoach_schemas.streams import Stream
from tests.bot.harness import COACH, COACH_2, Harness, add_client, discord_user

CLIENT = discord_user(8)


async def relayed(h: Harness, message: dict[str, object]) -> list[str]:
    return await h.sim.world.wait_for(lambda: h.sim.world.reactions.get(str(message["id"])))


async def bot_says(h: Harness, user: str) -> str:
    replies = await h.sim.world.wait_for(
        lambda: [m for m in h.sim.world.messages_to(user) if m["author"].get("bot")]
    )
    return str(replies[-1]["content"])


async def test_a_dm_is_logged_and_relayed_to_each_coach(
    harness: Harness, deliverer: Deliverer, sim: Simulator
) -> None:
    client_id = await add_client(harness.services.pool, CLIENT, "Sam Carter")
    message = await harness.dm(CLIENT, "Knee's a bit sore after squats — skip legs tomorrow?")
    assert await relayed(harness, message) == [RELAYED]

    [logged] = await harness.published()
    assert isinstance(logged, DmReceived)
    assert logged.payload.client_id == client_id
    assert logged.payload.discord_message_id == message["id"]
    assert logged.payload.text.startswith("Knee's a bit sore")

    relays = await harness.published(Stream.DELIVERIES)
    assert [r.payload.recipient_discord_id for r in relays if isinstance(r, DeliveryRequested)] == [
        COACH,
        COACH_2,
    ]
    for relay in relays:
        assert isinstance(relay, DeliveryRequested)
        assert relay.payload.kind is DeliveryKind.COACH_RELAY
        assert relay.payload.client_id == client_id
        # The delivery runner takes it from here: the coach gets a DM naming the client.
        await deliverer.deliver(relay)
    [to_coach] = sim.world.messages_to(COACH)
    assert to_coach["content"].startswith("📨 **Sam Carter** wrote:\nKnee's a bit sore")
    assert "/nudge" in to_coach["content"]


async def test_a_paused_client_still_reaches_the_coach(harness: Harness) -> None:
    await add_client(harness.services.pool, CLIENT, status="paused")
    message = await harness.dm(CLIENT, "Can we start again next month?")
    await relayed(harness, message)
    assert [type(m) for m in await harness.published()] == [DmReceived]


async def test_a_long_dm_is_cut_to_fit(harness: Harness) -> None:
    await add_client(harness.services.pool, CLIENT)
    message = await harness.dm(CLIENT, "blah " * 800)  # Nitro users may send 4,000
    await relayed(harness, message)
    [logged] = await harness.published()
    assert isinstance(logged, DmReceived)
    assert len(logged.payload.text) == 2000
    for relay in await harness.published(Stream.DELIVERIES):
        assert isinstance(relay, DeliveryRequested)
        assert len(relay.payload.text) <= 2000


async def test_a_stranger_is_told_to_start(harness: Harness) -> None:
    await harness.dm(CLIENT, "hello?")
    assert await bot_says(harness, CLIENT) == NOT_ONBOARDED
    assert await harness.published() == []


async def test_a_coach_is_pointed_to_nudge(harness: Harness) -> None:
    await harness.dm(COACH, "testing")
    assert await bot_says(harness, COACH) == COACH_HINT
    assert await harness.published(Stream.DELIVERIES) == []


async def test_the_same_dm_twice_is_one_relay(harness: Harness) -> None:
    # A second bot (a deploy) sees the same message: same keys, same delivery ids.
    await add_client(harness.services.pool, CLIENT)
    message = await harness.dm(CLIENT, "Running late today")
    await relayed(harness, message)
    await harness.sim.gateway.dispatch("MESSAGE_CREATE", message)
    await harness.sim.world.wait_for(lambda: len(harness.sim.world.reactions[message["id"]]) == 2)
    events = await harness.published()
    deliveries = await harness.published(Stream.DELIVERIES)
    assert len({e.idempotency_key for e in events}) == 1
    ids = {d.payload.delivery_id for d in deliveries if isinstance(d, DeliveryRequested)}
    assert len(ids) == 2  # one per coach, however often it is published
