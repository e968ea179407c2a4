"""``/jobcard`` and the Done/Skip buttons: published, and the message updated in place."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from monstercoach_bot.features.common import NOT_ONBOARDED, PAUSED
from monstercoach_schemas.buttons import jobcard_item_buttons
from monstercoach_schemas.domain import JobCardItemStatus
from monstercoach_schemas.messages import JobCardItemMarked
from tests.bot.harness import (
    EPHEMERAL,
    MESSAGE,
    UPDATE,
    Harness,
    JsonObject,
    add_card,
    add_client,
    components,
    deliver,
    discord_user,
)

CLIENT = discord_user(3)
NOON = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
TODAY = date(2026, 11, 26)
LABELS = ("Hit 150 g protein", "8,000 steps", "Drink 2.5 L water")


def done(card: UUID, item: UUID) -> str:
    return f"jc:{card}:{item}:d"


def skip(card: UUID, item: UUID) -> str:
    return f"jc:{card}:{item}:s"


async def morning_card(
    h: Harness, day: date = TODAY, statuses: list[str] | None = None, user: str = CLIENT
) -> tuple[UUID, list[UUID], JsonObject]:
    """The card as the api recorded it and the DM the scheduler sent for it."""
    client = await h.services.pool.fetchval(
        "SELECT id FROM clients WHERE discord_user_id = $1", user
    )
    card, items = await add_card(h.services.pool, client, day, LABELS, statuses)
    buttons = [
        b
        for item, label in zip(items, LABELS, strict=True)
        for b in jobcard_item_buttons(card, item, label)
    ]
    text = "Good morning Sam! 💪 Today's job card:\n" + "\n".join(f"• {x}" for x in LABELS)
    return card, items, await deliver(h, user, text, buttons)


def button(message: JsonObject, custom_id: str) -> JsonObject:
    return next(b for b in components(message) if b["custom_id"] == custom_id)


async def marks(h: Harness) -> list[tuple[UUID, JobCardItemStatus]]:
    return [
        (m.payload.item_id, m.payload.status)
        for m in await h.published()
        if isinstance(m, JobCardItemMarked)
    ]


class TestButtons:
    async def test_done_publishes_and_updates_the_card_in_place(self, harness: Harness) -> None:
        client_id = await add_client(harness.services.pool, CLIENT)
        harness.at(NOON)
        card, items, message = await morning_card(harness)
        _, answer = await harness.click(CLIENT, message, done(card, items[0]))
        assert answer["type"] == UPDATE
        [event] = await harness.published()
        assert isinstance(event, JobCardItemMarked)
        assert (event.payload.client_id, event.payload.card_id, event.payload.item_id) == (
            client_id,
            card,
            items[0],
        )
        assert event.payload.status is JobCardItemStatus.DONE
        assert event.payload.marked_at == NOON
        # The DM itself changed: one message, its text and its buttons.
        [shown] = harness.sim.world.messages_to(CLIENT)
        assert shown["id"] == message["id"]
        assert shown["content"].splitlines()[:2] == [
            "📋 **Job card · Thu 26 Nov**",
            "✅ Hit 150 g protein",
        ]
        assert "1/3 done" in shown["content"]
        assert button(shown, done(card, items[0]))["disabled"] is True
        assert not button(shown, done(card, items[1])).get("disabled")
        assert [len(row["components"]) for row in shown["components"]] == [2, 2, 2]

    async def test_skip_then_change_of_mind(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        harness.at(NOON)
        card, items, message = await morning_card(harness)
        await harness.click(CLIENT, message, skip(card, items[1]))
        shown = harness.sim.world.messages_to(CLIENT)[0]
        skipped = button(shown, skip(card, items[1]))
        assert (skipped["label"], skipped["disabled"]) == ("Skipped", True)
        assert "⏭️ 8,000 steps" in shown["content"]
        await harness.click(CLIENT, shown, done(card, items[1]))
        assert await marks(harness) == [
            (items[1], JobCardItemStatus.SKIPPED),
            (items[1], JobCardItemStatus.DONE),
        ]
        assert "✅ 8,000 steps" in harness.sim.world.messages_to(CLIENT)[0]["content"]

    async def test_quick_clicks_keep_each_other_while_the_api_catches_up(
        self, harness: Harness
    ) -> None:
        await add_client(harness.services.pool, CLIENT)
        harness.at(NOON)
        card, items, message = await morning_card(harness)
        for item in items:  # the database still says pending for all three
            message = harness.sim.world.messages_to(CLIENT)[0]
            await harness.click(CLIENT, message, done(card, item))
        shown = harness.sim.world.messages_to(CLIENT)[0]
        assert all(button(shown, done(card, item))["disabled"] for item in items)
        assert "All done — great work today! 🎉" in shown["content"]

    async def test_yesterdays_card_is_closed(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        harness.at(NOON)
        card, items, message = await morning_card(harness, day=TODAY - timedelta(days=1))
        _, answer = await harness.click(CLIENT, message, done(card, items[0]))
        assert answer["type"] == MESSAGE
        assert answer["data"]["flags"] & EPHEMERAL
        assert "Wed 25 Nov and is closed" in answer["data"]["content"]
        assert await harness.published() == []
        assert harness.sim.world.messages_to(CLIENT)[0]["edited_timestamp"] is None

    async def test_a_closed_out_item_stays_missed(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        harness.at(NOON)
        card, items, message = await morning_card(harness, statuses=["done", "missed", "missed"])
        _, answer = await harness.click(CLIENT, message, done(card, items[1]))
        assert "marked missed" in answer["data"]["content"]
        assert await harness.published() == []

    async def test_a_card_the_api_has_not_recorded_yet(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        card, items, message = await morning_card(harness)
        await harness.services.pool.execute("DELETE FROM job_cards WHERE id = $1", card)
        _, answer = await harness.click(CLIENT, message, done(card, items[0]))
        assert "give it a few seconds" in answer["data"]["content"]
        assert await harness.published() == []

    async def test_someone_elses_card(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        other = discord_user(33)
        await add_client(harness.services.pool, other, "Alex")
        harness.at(NOON)
        card, items, message = await morning_card(harness, user=other)
        _, answer = await harness.click(CLIENT, message, done(card, items[0]))
        assert "belongs to someone else" in answer["data"]["content"]
        assert await harness.published() == []

    async def test_paused_and_unknown_users_are_told(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT, status="paused")
        card, items, message = await morning_card(harness)
        _, answer = await harness.click(CLIENT, message, done(card, items[0]))
        assert answer["data"]["content"] == PAUSED
        stranger = discord_user(99)
        _, answer = await harness.click(stranger, message, done(card, items[0]))
        assert answer["data"]["content"] == NOT_ONBOARDED
        assert await harness.published() == []


class TestCommand:
    async def test_todays_card_with_its_answers(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT, time_zone="Pacific/Auckland")
        harness.at(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))  # 01:00 on the 27th there
        client = await harness.services.pool.fetchval(
            "SELECT id FROM clients WHERE discord_user_id = $1", CLIENT
        )
        await add_card(harness.services.pool, client, TODAY, LABELS)  # yesterday there
        card, items = await add_card(
            harness.services.pool,
            client,
            date(2026, 11, 27),
            LABELS,
            ["done", "skipped", "pending"],
        )
        _, answer = await harness.slash(CLIENT, "jobcard")
        assert answer["type"] == MESSAGE
        assert not answer["data"].get("flags", 0) & EPHEMERAL  # it stays in the DM
        content = answer["data"]["content"]
        assert content.splitlines() == [
            "📋 **Job card · Fri 27 Nov**",
            "✅ Hit 150 g protein",
            "⏭️ 8,000 steps",
            "▫️ Drink 2.5 L water",
            "1/3 done · tap ✅ as you go",
        ]
        assert [b["custom_id"] for b in components(answer["data"])] == [
            done(card, items[0]),
            skip(card, items[0]),
            done(card, items[1]),
            skip(card, items[1]),
            done(card, items[2]),
            skip(card, items[2]),
        ]
        assert [b.get("disabled", False) for b in components(answer["data"])] == [
            True,
            False,
            False,
            True,
            False,
            False,
        ]

    async def test_the_commands_card_answers_clicks_too(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        harness.at(NOON)
        client = await harness.services.pool.fetchval(
            "SELECT id FROM clients WHERE discord_user_id = $1", CLIENT
        )
        card, items = await add_card(harness.services.pool, client, TODAY, LABELS)
        _, answer = await harness.slash(CLIENT, "jobcard")
        shown = harness.sim.world.webhook_messages[answer["token"]][0]
        _, update = await harness.click(CLIENT, shown, done(card, items[2]))
        assert update["type"] == UPDATE
        assert "✅ Drink 2.5 L water" in shown["content"]
        assert await marks(harness) == [(items[2], JobCardItemStatus.DONE)]

    async def test_no_card_yet(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        harness.at(NOON)
        _, answer = await harness.slash(CLIENT, "jobcard")
        assert "No job card yet for Thu 26 Nov" in answer["data"]["content"]
        assert answer["data"]["flags"] & EPHEMERAL
