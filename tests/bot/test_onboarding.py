"""``/start`` (time zone picker, goal) → ``client.onboarded``, and ``/help``."""

from __future__ import annotations

from datetime import UTC, datetime

from monstercoach_schemas.domain import Goal
from monstercoach_schemas.messages import ClientOnboarded
from tests.bot.harness import COACH, EPHEMERAL, MESSAGE, Harness, add_client, discord_user

NEWCOMER = discord_user(5)
NOW = datetime(2026, 11, 26, 9, 15, tzinfo=UTC)


async def test_start_onboards_a_newcomer(harness: Harness) -> None:
    harness.at(NOW)
    _, answer = await harness.slash(
        NEWCOMER, "start", time_zone="Europe/Berlin", goal="muscle_gain"
    )
    assert answer["type"] == MESSAGE
    assert answer["data"]["flags"] & EPHEMERAL
    assert "Welcome aboard" in answer["data"]["content"]
    assert "Europe/Berlin" in answer["data"]["content"]
    [event] = await harness.published()
    assert isinstance(event, ClientOnboarded)
    payload = event.payload
    assert payload.client_id.version == 7
    assert payload.discord_user_id == NEWCOMER
    assert payload.display_name == "client-000005"  # the Discord name, as the simulator has it
    assert (payload.time_zone, payload.goal) == ("Europe/Berlin", Goal.MUSCLE_GAIN)
    assert payload.onboarded_at == NOW


async def test_a_known_client_keeps_their_id(harness: Harness) -> None:
    client_id = await add_client(harness.services.pool, NEWCOMER, time_zone="Europe/London")
    _, answer = await harness.slash(NEWCOMER, "start", time_zone="berlin", goal="recomp")
    assert answer["data"]["content"].startswith("Updated ✅")
    [event] = await harness.published()
    assert isinstance(event, ClientOnboarded)
    assert event.payload.client_id == client_id
    assert event.payload.time_zone == "Europe/Berlin"  # "berlin" named one zone only


async def test_a_zone_that_does_not_exist(harness: Harness) -> None:
    _, answer = await harness.slash(NEWCOMER, "start", time_zone="Mars/Olympus", goal="fat_loss")
    assert answer["data"]["flags"] & EPHEMERAL
    assert 'I don\'t know "Mars/Olympus"' in answer["data"]["content"]
    assert "send /start again" in answer["data"]["content"]
    assert await harness.published() == []


async def test_the_zone_picker_suggests_as_you_type(harness: Harness) -> None:
    choices = await harness.autocomplete(NEWCOMER, "start", "time_zone", time_zone="new y")
    assert choices[0]["value"] == "America/New_York"
    assert choices[0]["name"].startswith("America/New York (UTC-0")
    assert len(await harness.autocomplete(NEWCOMER, "start", "time_zone", time_zone="")) <= 25


async def test_help_shows_coaches_their_commands_too(harness: Harness) -> None:
    _, client_help = await harness.slash(NEWCOMER, "help")
    _, coach_help = await harness.slash(COACH, "help")
    assert "/checkin" in client_help["data"]["content"]
    assert "/roster" not in client_help["data"]["content"]
    assert "/roster" in coach_help["data"]["content"]


async def test_starting_again_does_not_lift_a_pause(harness: Harness) -> None:
    await add_client(harness.services.pool, NEWCOMER, status="paused")
    _, answer = await harness.slash(NEWCOMER, "start", time_zone="UTC", goal="maintenance")
    assert "Your coaching is paused" in answer["data"]["content"]
    assert [type(m) for m in await harness.published()] == [ClientOnboarded]
