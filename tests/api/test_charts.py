"""The chart's JSON, which PostgreSQL writes and the api sends as it is: it must be the
very JSON ``ClientCharts`` would write. (What the series contain: ``test_timeline.py``.)"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import asyncpg
import httpx
import pytest

from monstercoach_api.charts.schemas import ClientCharts

from .records import add_card, add_checkin, add_client, add_prompt, add_row


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
async def clients(pool: asyncpg.Pool) -> list[uuid.UUID]:
    """One client with a month of weigh-ins, meals and cards; one with nothing at all."""
    async with pool.acquire() as conn, conn.transaction():
        busy = await add_client(conn, "Sam", "Asia/Kolkata")
        for day in range(1, 27):
            await add_row(conn, "weight_entries", client_id=busy,
                          weight_kg=80 - day / 7, local_date=date(2026, 11, day),
                          measured_at=at(day, 2))  # fmt: skip
            for kcal, protein in ((640, 41), (None, 18), (815, None))[: day % 4]:
                await add_row(conn, "meal_logs", client_id=busy, local_date=date(2026, 11, day),
                              description="meal", kcal=kcal, protein_g=protein,
                              logged_at=at(day, 6))  # fmt: skip
            await add_card(conn, busy, date(2026, 11, day), *("done", "missed", "done")[: day % 3])
            if day % 4:
                await add_prompt(conn, busy, date(2026, 11, day), "answered")
                await add_checkin(conn, busy, date(2026, 11, day))
        quiet = await add_client(conn, "Quiet", "America/St_Johns")
    return [busy, quiet]


@pytest.mark.parametrize("days", [7, 28, 365])
async def test_is_what_the_response_model_writes(
    coach: httpx.AsyncClient, clients: list[uuid.UUID], days: int
) -> None:
    for client in clients:
        response = await coach.get(f"/clients/{client}/charts", params={"days": days})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        charts = response.json()
        model = ClientCharts.model_validate_json(response.content)
        assert charts == json.loads(model.model_dump_json())
        assert (len(charts["adherence"]), len(charts["nutrition"])) == (days, days)


async def test_a_client_with_nothing_logged_has_empty_days(
    coach: httpx.AsyncClient, clients: list[uuid.UUID]
) -> None:
    charts = (await coach.get(f"/clients/{clients[1]}/charts", params={"days": 7})).json()
    assert charts["today"] == "2026-11-26"
    assert charts["weight"] == []
    assert {(p["due"], p["done"], p["rate"]) for p in charts["adherence"]} == {(0, 0, None)}
    nutrition = {(p["meals"], p["kcal"], p["protein_g"]) for p in charts["nutrition"]}
    assert nutrition == {(0, None, None)}
