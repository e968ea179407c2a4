"""The roster's JSON, which PostgreSQL writes and the api sends as it is: it must be the
very JSON the response models would write (the OpenAPI document describes those).

Clients in zones with negative, half-hour and 45-minute offsets, and a clock with
microseconds, so every way of writing a timestamp is exercised.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from monstercoach_api.clients.schemas import ClientDetail, RosterPage
from monstercoach_api.clock import utc_now

from .records import AT, add_card, add_checkin, add_client, add_flag, add_prompt

NOW = AT.replace(microsecond=123_456)
SEEN = datetime(2026, 11, 25, 8, 30, 15, tzinfo=UTC)
ZONES = (
    "UTC",
    "Asia/Kolkata",  # +05:30
    "America/St_Johns",  # -03:30
    "Pacific/Chatham",  # +13:45 in November
    "America/New_York",  # -05:00
    "Pacific/Kiritimati",  # +14:00, already tomorrow
)


def as_the_model_writes(model: type[BaseModel], body: bytes) -> Any:
    """``body`` read by ``model`` and written back by pydantic (what FastAPI sent before
    the JSON came from PostgreSQL)."""
    return json.loads(model.model_validate_json(body).model_dump_json())


@pytest.fixture
async def varied(pool: asyncpg.Pool) -> list[uuid.UUID]:
    """A client per zone with a week of mixed days, some seen lately, some never."""
    clients = []
    async with pool.acquire() as conn, conn.transaction():
        for n, zone in enumerate(ZONES):
            seen = SEEN + timedelta(microseconds=250_000 * n) if n in (1, 3, 4, 5) else None
            client = await add_client(conn, f"Client {n}", zone, last_activity_at=seen)
            for day in range(19, 27):
                statuses = ("done", "missed", "skipped", "done", "pending")[: 1 + (day + n) % 5]
                await add_card(conn, client, date(2026, 11, day), *statuses)
                if (day + n) % 3:
                    await add_prompt(conn, client, date(2026, 11, day), "answered")
                    await add_checkin(conn, client, date(2026, 11, day))
                elif day % 2:
                    await add_prompt(conn, client, date(2026, 11, day), "missed")
            if n % 3 == 0:
                await add_flag(conn, client, "high")
            clients.append(client)
    return clients


@pytest.fixture
def clock_with_microseconds(app: FastAPI) -> datetime:
    app.dependency_overrides[utc_now] = lambda: NOW
    return NOW


class TestRosterJson:
    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"sort": "compliance_7d", "order": "desc"},
            {"sort": "open_flags", "limit": 2, "offset": 1},
            {"q": "nobody"},
        ],
    )
    async def test_is_what_the_response_model_writes(
        self,
        coach: httpx.AsyncClient,
        varied: list[uuid.UUID],
        clock_with_microseconds: datetime,
        params: dict[str, Any],
    ) -> None:
        response = await coach.get("/clients", params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json() == as_the_model_writes(RosterPage, response.content)

    async def test_writes_timestamps_on_each_clients_clock(
        self, coach: httpx.AsyncClient, varied: list[uuid.UUID], clock_with_microseconds: datetime
    ) -> None:
        rows = (await coach.get("/clients")).json()["items"]
        assert [row["local_now"] for row in rows] == [
            "2026-11-26T12:00:00.123456+00:00",
            "2026-11-26T17:30:00.123456+05:30",
            "2026-11-26T08:30:00.123456-03:30",
            "2026-11-27T01:45:00.123456+13:45",
            "2026-11-26T07:00:00.123456-05:00",
            "2026-11-27T02:00:00.123456+14:00",
        ]
        assert [row["last_activity_at"] for row in rows] == [
            None,
            "2026-11-25T08:30:15.250000+00:00",
            None,
            "2026-11-25T08:30:15.750000+00:00",
            "2026-11-25T08:30:16+00:00",
            "2026-11-25T08:30:16.250000+00:00",
        ]

    async def test_a_clients_detail_has_their_roster_row(
        self, coach: httpx.AsyncClient, varied: list[uuid.UUID], clock_with_microseconds: datetime
    ) -> None:
        rows = {row["id"]: row for row in (await coach.get("/clients")).json()["items"]}
        for client in varied:
            response = await coach.get(f"/clients/{client}")
            assert response.status_code == 200
            assert response.json()["summary"] == rows[str(client)]
            assert response.json() == as_the_model_writes(ClientDetail, response.content)
