"""``/meal`` (with and without a photo), the meal reminder's button, and the form."""

from __future__ import annotations

from datetime import UTC, datetime

from monstercoach_bot.features.common import PAUSED
from monstercoach_bot.features.meals import photo_key
from monstercoach_discord_sim import Upload
from monstercoach_schemas.buttons import meal_button
from monstercoach_schemas.messages import MealLogged
from tests.bot.harness import (
    EPHEMERAL,
    MESSAGE,
    MODAL,
    Harness,
    add_client,
    deliver,
    discord_user,
    modal_fields,
)

CLIENT = discord_user(2)
LUNCH = {"description": "Chicken, rice and salad", "kcal": "650", "protein": "45", "fat": "20"}


async def test_a_meal_without_a_photo(harness: Harness) -> None:
    client_id = await add_client(harness.services.pool, CLIENT)
    harness.at(datetime(2026, 11, 26, 12, 30, tzinfo=UTC))
    opened, answer = await harness.slash(CLIENT, "meal")
    assert answer["type"] == MODAL
    assert answer["data"]["custom_id"] == "mc:meal"
    assert list(modal_fields(answer["data"])) == ["description", "kcal", "protein", "carbs", "fat"]
    reply = await harness.submit(opened, LUNCH)
    assert reply["data"]["flags"] & EPHEMERAL
    assert reply["data"]["content"] == (
        "Logged 🍽️ Chicken, rice and salad — 650 kcal · P 45 g · F 20 g (Thu 26 Nov)."
    )
    [event] = await harness.published()
    assert isinstance(event, MealLogged)
    payload = event.payload
    assert payload.client_id == client_id
    assert (payload.kcal, payload.protein_g, payload.carbs_g, payload.fat_g) == (650, 45, None, 20)
    assert payload.photo_url is None
    assert payload.logged_at == datetime(2026, 11, 26, 12, 30, tzinfo=UTC)


async def test_a_photo_is_kept_as_its_url(harness: Harness) -> None:
    await add_client(harness.services.pool, CLIENT)
    opened, answer = await harness.slash(CLIENT, "meal", photo=Upload("plate.png", "image/png"))
    assert answer["data"]["title"] == "Log a meal 📷"
    assert answer["data"]["custom_id"] == f"mc:meal:{opened['id']}"
    reply = await harness.submit(opened, {"description": "Salmon bowl"})
    assert "📷" in reply["data"]["content"]
    [event] = await harness.published()
    assert isinstance(event, MealLogged)
    [attachment] = opened["data"]["resolved"]["attachments"].values()
    assert str(event.payload.photo_url) == attachment["url"]


async def test_an_expired_photo_is_said_and_the_meal_still_counts(harness: Harness) -> None:
    await add_client(harness.services.pool, CLIENT)
    opened, _ = await harness.slash(CLIENT, "meal", photo=Upload())
    await harness.services.redis.delete(photo_key(harness.services, CLIENT, opened["id"]))
    reply = await harness.submit(opened, {"description": "Oats"})
    assert "link had expired" in reply["data"]["content"]
    [event] = await harness.published()
    assert isinstance(event, MealLogged)
    assert event.payload.photo_url is None


async def test_an_attachment_that_is_not_a_photo(harness: Harness) -> None:
    await add_client(harness.services.pool, CLIENT)
    _, answer = await harness.slash(CLIENT, "meal", photo=Upload("plan.pdf", "application/pdf"))
    assert answer["type"] == MESSAGE
    assert "isn't a photo" in answer["data"]["content"]


async def test_bad_numbers_are_explained_and_nothing_is_published(harness: Harness) -> None:
    await add_client(harness.services.pool, CLIENT)
    opened, _ = await harness.slash(CLIENT, "meal")
    reply = await harness.submit(
        opened, {"description": "Pizza", "kcal": "-5", "protein": "lots", "carbs": "90"}
    )
    content = reply["data"]["content"]
    assert "Calories: can't be negative" in content
    assert "Protein:" in content
    assert "Carbs" not in content
    assert await harness.published() == []


async def test_an_empty_description_is_refused(harness: Harness) -> None:
    await add_client(harness.services.pool, CLIENT)
    opened, _ = await harness.slash(CLIENT, "meal")
    reply = await harness.submit(opened, {"description": "   "}, unchecked=True)
    assert "What you ate:" in reply["data"]["content"]
    assert await harness.published() == []


async def test_the_reminders_button_opens_the_form(harness: Harness) -> None:
    await add_client(harness.services.pool, CLIENT)
    reminder = await deliver(harness, CLIENT, "Lunch time! Log it?", [meal_button()])
    opened, answer = await harness.click(CLIENT, reminder, "meal")
    assert answer["type"] == MODAL
    await harness.submit(opened, {"description": "Soup", "kcal": "1,200"})
    [event] = await harness.published()
    assert isinstance(event, MealLogged)
    assert event.payload.kcal == 1200


async def test_a_paused_client_logs_nothing(harness: Harness) -> None:
    await add_client(harness.services.pool, CLIENT, status="paused")
    reminder = await deliver(harness, CLIENT, "Lunch time!", [meal_button()])
    _, answer = await harness.click(CLIENT, reminder, "meal")
    assert answer["data"]["content"] == PAUSED
    _, answer = await harness.slash(CLIENT, "meal")
    assert answer["data"]["content"] == PAUSED
