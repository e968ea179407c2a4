"""System health (heartbeats, streams, dead letters) and dead-letter replay."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import httpx
import pytest

from monstercoach_api.app import create_app
from monstercoach_api.settings import ApiSettings
from monstercoach_kit.bus import Consumer, ConsumerConfig, HandlerResult, StreamBus
from monstercoach_kit.health import beat
from monstercoach_kit.settings import KitSettings
from monstercoach_schemas.messages import Message
from monstercoach_schemas.streams import Stream

from .helpers import invalid_fields, onboarded, running_app
from .records import add_client

BROKEN = b'{"type": "checkin.answered", "payload": {"weight_kg": "<script>"}}'


async def nothing(messages: Sequence[Message]) -> HandlerResult:
    return [None for _ in messages]


async def dead_letter_two(bus: StreamBus) -> list[str]:
    """Two messages that fail validation, dead-lettered by the kit's own consumer."""
    config = ConsumerConfig(stream=Stream.EVENTS.value, group="test", block_ms=10)
    await bus.ensure_group(config.stream, config.group)
    for _ in range(2):
        await bus.redis.xadd(bus.key(config.stream), {"type": "checkin.answered", "data": BROKEN})
    await Consumer(bus, config, nothing).step()
    return [letter.id for letter in await bus.dead_letters()]


class TestStatus:
    async def test_heartbeats_streams_and_dead_letters(
        self, coach: httpx.AsyncClient, bus: StreamBus
    ) -> None:
        await beat(bus.redis, bus.prefix, "scheduler", 30)
        await dead_letter_two(bus)
        await bus.publish(onboarded("300000000000000009"))  # not read by the group yet
        response = await coach.get("/system/status")
        assert response.status_code == 200
        status = response.json()
        services = {s["service"]: s for s in status["services"]}
        assert set(services) >= {"api", "bot", "scheduler", "flagworker"}
        assert services["scheduler"]["alive"] is True
        assert services["scheduler"]["age_seconds"] is not None
        assert (services["bot"]["alive"], services["bot"]["at"]) == (False, None)
        streams = {s["stream"]: s for s in status["streams"]}
        assert streams["events"]["length"] == 3
        group = {g["name"]: g for g in streams["events"]["groups"]}["test"]
        assert (group["pending"], group["lag"]) == (0, 1)
        assert streams["dead_letters"]["length"] == status["dead_letters"] == 2


class TestDeadLetters:
    async def test_list_pages_and_shows_the_error(
        self, coach: httpx.AsyncClient, bus: StreamBus
    ) -> None:
        first_id, second_id = await dead_letter_two(bus)
        page = (await coach.get("/system/dead-letters", params={"limit": 1})).json()
        (letter,) = page["items"]
        assert (letter["id"], letter["stream"], letter["type"]) == (
            first_id,
            "events",
            "checkin.answered",
        )
        assert letter["data"] == BROKEN.decode()
        assert "validation" in letter["error"].lower()
        assert (page["total"], page["next_after"]) == (2, first_id)
        rest = (await coach.get("/system/dead-letters", params={"after": first_id})).json()
        assert [item["id"] for item in rest["items"]] == [second_id]
        assert rest["next_after"] is None

    @pytest.mark.parametrize("entry_id", ["86369130465210097354-2", "1-18446744073709551616"])
    async def test_an_id_past_64_bits_is_a_422_not_a_redis_error(
        self, coach: httpx.AsyncClient, entry_id: str
    ) -> None:
        listed = await coach.get("/system/dead-letters", params={"after": entry_id})
        replayed = await coach.post(f"/system/dead-letters/{entry_id}/replay")
        assert (listed.status_code, replayed.status_code) == (422, 422)
        assert "64-bit" in listed.text

    async def test_replay_puts_it_back_on_its_stream(
        self, coach: httpx.AsyncClient, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        first_id, _ = await dead_letter_two(bus)
        response = await coach.post(f"/system/dead-letters/{first_id}/replay")
        assert response.status_code == 200
        body = response.json()
        assert (body["dead_letter_id"], body["stream"]) == (first_id, "events")
        entries = await bus.redis.xrange(bus.key("events"), min=body["new_id"], max=body["new_id"])
        assert entries[0][1][b"data"] == BROKEN
        assert [letter.id for letter in await bus.dead_letters()] != [first_id]
        again = await coach.post(f"/system/dead-letters/{first_id}/replay")
        assert (again.status_code, again.json()["error"]["code"]) == (404, "dead_letter_not_found")
        audit = await pool.fetch("SELECT target FROM audit_log WHERE action = 'dead_letter.replay'")
        assert [row["target"] for row in audit] == [first_id]

    @pytest.mark.parametrize("bad", ["latest", "1-2-3", "-1"])
    async def test_ids_are_validated(self, coach: httpx.AsyncClient, bad: str) -> None:
        replay = await coach.post(f"/system/dead-letters/{bad}/replay")
        assert invalid_fields(replay)[0] == "path.dead_letter_id"
        listing = await coach.get("/system/dead-letters", params={"after": bad})
        assert invalid_fields(listing)[0] == "query.after"


async def test_redis_down_is_503_and_nothing_is_recorded(
    kit_settings: KitSettings, coach_settings: ApiSettings, pool: asyncpg.Pool
) -> None:
    down = kit_settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    async with running_app(create_app(down, coach_settings)) as client:
        assert (await client.post("/auth/dev-login")).status_code == 200
        async with pool.acquire() as conn:
            alma = await add_client(conn, "Alma")
        responses = [
            await client.get("/system/status"),
            await client.get("/system/dead-letters"),
            await client.post("/flags/scan", json={}),
            await client.post(f"/clients/{alma}/messages", json={"text": "Hi"}),
        ]
    for response in responses:
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "redis_unavailable"
    # The message and the scan were never queued, so neither they nor their audit exist.
    assert await pool.fetchval("SELECT count(*) FROM deliveries") == 0
    assert (
        await pool.fetchval("SELECT count(*) FROM audit_log WHERE action <> 'auth.dev_login'") == 0
    )
