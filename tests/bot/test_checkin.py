"""``/checkin``, the check-in prompt's button and the form, through the gateway."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import redis.asyncio as aioredis

from monstercoach_bot.features.common import NOT_ONBOARDED, PAUSED, UNAVAILABLE
from monstercoach_discord_sim import InteractionRefused
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.buttons import checkin_button
from monstercoach_schemas.messages import CheckinAnswered
from tests.bot.harness import (
    EPHEMERAL,
    MESSAGE,
    MODAL,
    Harness,
    add_client,
    deliver,
    discord_user,
    modal_fields,
    published,
)
from tests.processes import free_port

CLIENT = discord_user(1)
# 23:30 in London is already the next morning in Tokyo.
LATE_EVENING_UTC = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)


class TestCommand:
    async def test_opens_the_form_for_the_clients_own_day(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT, time_zone="Asia/Tokyo")
        harness.at(LATE_EVENING_UTC)
        _, answer = await harness.slash(CLIENT, "checkin")
        assert answer["type"] == MODAL
        form = answer["data"]
        assert form["custom_id"] == "mc:checkin:2026-11-27"
        assert form["title"] == "Check-in · Fri 27 Nov"
        fields = modal_fields(form)
        assert list(fields) == ["weight", "unit", "sleep", "energy", "notes"]
        assert fields["notes"]["max_length"] == 2000  # Discord's client enforces it too
        assert [o["value"] for o in fields["unit"]["options"] if o["default"]] == ["kg"]

    async def test_the_unit_option_preselects_pounds(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        _, answer = await harness.slash(CLIENT, "checkin", unit="lb")
        unit = modal_fields(answer["data"])["unit"]
        assert [o["value"] for o in unit["options"] if o["default"]] == ["lb"]

    async def test_a_full_form_becomes_checkin_answered(self, harness: Harness) -> None:
        client_id = await add_client(harness.services.pool, CLIENT, time_zone="Asia/Tokyo")
        harness.at(LATE_EVENING_UTC)
        opened, _ = await harness.slash(CLIENT, "checkin", unit="lb")
        answer = await harness.submit(
            opened, {"weight": "181", "sleep": "7:30", "energy": "8", "notes": "Felt strong"}
        )
        assert answer["type"] == MESSAGE
        assert answer["data"]["flags"] & EPHEMERAL
        assert "Fri 27 Nov" in answer["data"]["content"]
        assert "82.1 kg" in answer["data"]["content"]
        [event] = await harness.published()
        assert isinstance(event, CheckinAnswered)
        assert event.payload.client_id == client_id
        assert event.payload.local_date == date(2026, 11, 27)
        assert (event.payload.weight_kg, event.payload.sleep_hours, event.payload.energy) == (
            82.1,
            7.5,
            8,
        )
        assert event.payload.notes == "Felt strong"
        assert event.payload.answered_at == LATE_EVENING_UTC

    async def test_bad_input_is_explained_and_nothing_is_published(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        opened, _ = await harness.slash(CLIENT, "checkin")
        answer = await harness.submit(opened, {"weight": "abc", "energy": "11", "sleep": "7"})
        content = answer["data"]["content"]
        assert answer["data"]["flags"] & EPHEMERAL
        assert 'Weight: I couldn\'t read "abc" as a number' in content
        assert "Energy:" in content
        assert "1 to 10" in content
        assert "Sleep" not in content  # only the wrong fields are named
        assert "Nothing was saved" in content
        assert await harness.published() == []

    async def test_notes_over_the_limit(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        opened, _ = await harness.slash(CLIENT, "checkin")
        with pytest.raises(InteractionRefused, match="longer than 2000"):
            harness.sim.interactions.submit(opened, {"notes": "x" * 5000})
        # A client that skips Discord's own check still gets a helpful answer.
        answer = await harness.submit(opened, {"notes": "x" * 5000}, unchecked=True)
        assert "5,000 characters; the limit is 2,000" in answer["data"]["content"]
        assert await harness.published() == []

    async def test_pounds_out_of_range_are_refused_in_pounds(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        opened, _ = await harness.slash(CLIENT, "checkin", unit="lb")
        answer = await harness.submit(opened, {"weight": "1200"})
        assert "between 45 and 881 lb" in answer["data"]["content"]
        assert await harness.published() == []


class TestWhoMayCheckIn:
    async def test_someone_not_onboarded_is_told_to_start(self, harness: Harness) -> None:
        _, answer = await harness.slash(CLIENT, "checkin")
        assert answer["type"] == MESSAGE
        assert answer["data"]["content"] == NOT_ONBOARDED
        assert answer["data"]["flags"] & EPHEMERAL

    async def test_a_paused_client_is_told_what_to_do(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT, status="paused")
        _, answer = await harness.slash(CLIENT, "checkin")
        assert answer["data"]["content"] == PAUSED

    async def test_a_client_paused_while_the_form_was_open(self, harness: Harness) -> None:
        client_id = await add_client(harness.services.pool, CLIENT)
        opened, _ = await harness.slash(CLIENT, "checkin")
        await harness.services.pool.execute(
            "UPDATE clients SET status = 'paused' WHERE id = $1", client_id
        )
        answer = await harness.submit(opened, {"energy": "7"})
        assert answer["data"]["content"] == PAUSED
        assert await harness.published() == []


class TestPromptButton:
    async def test_the_prompt_answers_its_own_day(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT, time_zone="America/Los_Angeles")
        harness.at(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))  # 01:00 on the 27th in LA
        prompt = await deliver(
            harness, CLIENT, "How was today?", [checkin_button(date(2026, 11, 26))]
        )
        opened, answer = await harness.click(CLIENT, prompt, "checkin:2026-11-26")
        assert answer["type"] == MODAL
        assert answer["data"]["custom_id"] == "mc:checkin:2026-11-26"
        await harness.submit(opened, {"energy": "6"})
        [event] = await harness.published()
        assert isinstance(event, CheckinAnswered)
        assert event.payload.local_date == date(2026, 11, 26)

    async def test_an_old_prompt_answers_today(self, harness: Harness) -> None:
        await add_client(harness.services.pool, CLIENT)
        harness.at(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
        prompt = await deliver(harness, CLIENT, "Check in?", [checkin_button(date(2026, 11, 20))])
        _, answer = await harness.click(CLIENT, prompt, "checkin:2026-11-20")
        assert answer["data"]["custom_id"] == "mc:checkin:2026-11-27"

    async def test_the_button_tells_an_unknown_user_to_start(self, harness: Harness) -> None:
        prompt = await deliver(harness, CLIENT, "Check in?", [checkin_button(date(2026, 11, 26))])
        _, answer = await harness.click(CLIENT, prompt, "checkin:2026-11-26")
        assert answer["data"]["content"] == NOT_ONBOARDED


async def test_an_outage_is_said_not_hidden(harness: Harness) -> None:
    await add_client(harness.services.pool, CLIENT)
    opened, _ = await harness.slash(CLIENT, "checkin")
    working = harness.services.bus
    nothing_there = aioredis.Redis(host="127.0.0.1", port=free_port())
    harness.services.bus = StreamBus(nothing_there, prefix=working.prefix)
    try:
        answer = await harness.submit(opened, {"energy": "7"})
    finally:
        await nothing_there.aclose()
    assert answer["data"]["content"] == UNAVAILABLE
    assert answer["data"]["flags"] & EPHEMERAL
    assert await published(working) == []
