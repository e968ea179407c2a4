"""Deliveries and missed fires across the roster, and the coach's message to a client."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.domain import DeliveryKind
from monstercoach_schemas.messages import DeliveryRequested
from monstercoach_schemas.streams import Stream

from .conftest import COACH_ID
from .helpers import invalid_fields
from .records import add_client, add_prompt, add_row
from .streams import published


def at(day: int, hour: int = 8) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
async def sent(pool: asyncpg.Pool) -> dict[str, uuid.UUID]:
    async with pool.acquire() as conn, conn.transaction():
        alma = await add_client(conn, "Alma")
        bo = await add_client(conn, "Bo")
        rows = [
            (alma, "jobcard", "sent", at(24)),
            (alma, "nudge", "missed", at(25)),
            (bo, "checkin_prompt", "dry_run", at(26)),
            (None, "coach_digest", "sent", at(23)),
        ]
        for client, kind, status, created in rows:
            await add_row(conn, "deliveries", client_id=client, recipient_discord_id="5" * 18,
                          kind=kind, text=f"{kind} text", status=status, created_at=created,
                          last_error="50007 cannot DM" if status == "missed" else None)  # fmt: skip
        await add_prompt(conn, alma, date(2026, 11, 24), "missed", at=at(24, 7), reason="no answer")
        await add_prompt(
            conn, bo, date(2026, 11, 25), "missed", at=at(25, 7), reason="scheduler_down"
        )
        await add_prompt(conn, bo, date(2026, 11, 26), "answered", at=at(26, 7))
    return {"alma": alma, "bo": bo}


async def kinds(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/deliveries", params=params)
    assert response.status_code == 200, response.text
    return [row["delivery_kind"] for row in response.json()["items"]]


class TestDeliveries:
    async def test_newest_first_with_client_names(
        self, coach: httpx.AsyncClient, sent: dict[str, uuid.UUID]
    ) -> None:
        body = (await coach.get("/deliveries")).json()
        assert [row["delivery_kind"] for row in body["items"]] == [
            "checkin_prompt", "nudge", "jobcard", "coach_digest",
        ]  # fmt: skip
        assert body["items"][0]["client_display_name"] == "Bo"
        assert body["items"][1]["last_error"] == "50007 cannot DM"
        assert (body["items"][3]["client_id"], body["total"]) == (None, 4)

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"status": "missed"}, ["nudge"]),
            ({"status": ["sent", "dry_run"]}, ["checkin_prompt", "jobcard", "coach_digest"]),
            ({"kind": "coach_digest"}, ["coach_digest"]),
            ({"since": "2026-11-24T08:00:00+00:00"}, ["checkin_prompt", "nudge", "jobcard"]),
            ({"until": "2026-11-24T08:00:00Z"}, ["coach_digest"]),
            ({"limit": 1, "offset": 1}, ["nudge"]),
        ],
    )
    async def test_filters(
        self,
        coach: httpx.AsyncClient,
        sent: dict[str, uuid.UUID],
        params: dict[str, Any],
        expected: list[str],
    ) -> None:
        assert await kinds(coach, **params) == expected

    async def test_one_clients_deliveries(
        self, coach: httpx.AsyncClient, sent: dict[str, uuid.UUID]
    ) -> None:
        assert await kinds(coach, client_id=str(sent["alma"])) == ["nudge", "jobcard"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"status": "lost"}, "query.status.0"),
            ({"kind": "postcard"}, "query.kind.0"),
            ({"since": "2026-11-24T08:00:00"}, "query.since"),  # no offset
            ({"since": "yesterday"}, "query.since"),
        ],
    )
    async def test_invalid_filters_are_422(
        self, coach: httpx.AsyncClient, params: dict[str, Any], field: str
    ) -> None:
        response = await coach.get("/deliveries", params=params)
        assert invalid_fields(response)[0] == field


class TestMissed:
    async def test_missed_fires_newest_first_with_the_reason(
        self, coach: httpx.AsyncClient, sent: dict[str, uuid.UUID]
    ) -> None:
        body = (await coach.get("/missed")).json()
        assert [(row["client_display_name"], row["reason"]) for row in body["items"]] == [
            ("Bo", "scheduler_down"),
            ("Alma", "no answer"),
        ]
        assert body["items"][0]["id"] == "checkin.morning_prompt:2026-11-25"
        assert body["total"] == 2

    async def test_filters(self, coach: httpx.AsyncClient, sent: dict[str, uuid.UUID]) -> None:
        alma = (await coach.get("/missed", params={"client_id": str(sent["alma"])})).json()
        assert [row["local_date"] for row in alma["items"]] == ["2026-11-24"]
        other = (await coach.get("/missed", params={"engine": "jobcard"})).json()
        assert other["items"] == []
        since = await coach.get("/missed", params={"since": "2026-11-25T00:00:00+00:00"})
        assert [row["client_display_name"] for row in since.json()["items"]] == ["Bo"]


class TestSendMessage:
    async def test_queues_a_nudge_on_the_bus_and_in_deliveries(
        self, coach: httpx.AsyncClient, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        text = "<b>Great week!</b> <script>alert(1)</script> '); DELETE FROM clients;--"
        async with pool.acquire() as conn:
            alma = await add_client(conn, "Alma", discord_id="123456789012345678")
        response = await coach.post(f"/clients/{alma}/messages", json={"text": text})
        assert response.status_code == 202, response.text
        body = response.json()
        assert (body["status"], body["text"], body["delivery_kind"]) == ("queued", text, "nudge")
        (message,) = await published(bus, Stream.DELIVERIES)
        assert isinstance(message, DeliveryRequested)
        assert str(message.payload.delivery_id) == body["id"]
        assert message.payload.kind is DeliveryKind.NUDGE
        assert (message.payload.client_id, message.payload.text) == (alma, text)
        assert message.payload.recipient_discord_id == "123456789012345678"
        listed = (await coach.get("/deliveries", params={"client_id": str(alma)})).json()
        assert [(row["id"], row["status"], row["text"]) for row in listed["items"]] == [
            (body["id"], "queued", text)
        ]
        audit = await pool.fetchrow(
            "SELECT coach_discord_id, details FROM audit_log WHERE action = 'client.message'"
        )
        assert (audit["coach_discord_id"], audit["details"]["text"]) == (COACH_ID, text)

    async def test_each_message_gets_a_fresh_delivery_id(
        self, coach: httpx.AsyncClient, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        async with pool.acquire() as conn:
            alma = await add_client(conn, "Alma")
        for _ in range(2):
            response = await coach.post(f"/clients/{alma}/messages", json={"text": "Same text"})
            assert response.status_code == 202
        messages = await published(bus, Stream.DELIVERIES)
        ids = {m.payload.delivery_id for m in messages if isinstance(m, DeliveryRequested)}
        assert len(ids) == 2

    @pytest.mark.parametrize("status", ["paused", "archived"])
    async def test_refused_for_a_client_who_is_not_active(
        self, coach: httpx.AsyncClient, bus: StreamBus, pool: asyncpg.Pool, status: str
    ) -> None:
        async with pool.acquire() as conn:
            client = await add_client(conn, "Oliver", status=status)
        response = await coach.post(f"/clients/{client}/messages", json={"text": "Hi"})
        assert (response.status_code, response.json()["error"]["code"]) == (
            409,
            "client_not_active",
        )
        assert status in response.json()["error"]["message"]
        assert await published(bus, Stream.DELIVERIES) == []

    async def test_unknown_client_is_404(self, coach: httpx.AsyncClient, bus: StreamBus) -> None:
        response = await coach.post(f"/clients/{uuid.uuid4()}/messages", json={"text": "Hi"})
        assert response.status_code == 404
        assert await published(bus, Stream.DELIVERIES) == []

    @pytest.mark.parametrize(
        ("body", "field"),
        [({}, "body.text"), ({"text": ""}, "body.text"), ({"text": "   "}, "body.text"),
         ({"text": "x" * 2001}, "body.text"), ({"text": "hi", "kind": "jobcard"}, "body.kind")],
    )  # fmt: skip
    async def test_invalid_messages_are_422(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, body: dict[str, Any], field: str
    ) -> None:
        async with pool.acquire() as conn:
            alma = await add_client(conn, "Alma")
        response = await coach.post(f"/clients/{alma}/messages", json=body)
        assert invalid_fields(response)[0] == field
