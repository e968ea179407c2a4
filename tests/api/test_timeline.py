"""A client's timeline (every kind, newest first, cursor-paged) and chart series."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from .helpers import invalid_fields
from .records import add_card, add_checkin, add_client, add_row

SCRIPT = "<script>alert('pwned')</script>"
SQLISH = "<script>alert(1)</script>'; DROP TABLE meal_logs; --"
LONG_NOTE = ("Slept badly, knee sore. " * 100)[:2000]
PHOTO = "https://cdn.example.com/meals/1.jpg?w=640&sig=a%2Fb"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def history(pool: asyncpg.Pool) -> uuid.UUID:
    """One entry of each kind; the weigh-in shares its check-in's instant, the delivery
    its job card's, so ties are ordered by kind."""
    async with pool.acquire() as conn, conn.transaction():
        client = await add_client(conn, "Mia")
        await add_checkin(conn, client, date(2026, 11, 25), notes=LONG_NOTE, at=at(25, 8))
        await add_row(conn, "weight_entries", client_id=client, local_date=date(2026, 11, 25),
                      weight_kg=79.4, measured_at=at(25, 8))  # fmt: skip
        await add_row(conn, "meal_logs", client_id=client, local_date=date(2026, 11, 25),
                      description=SQLISH, kcal=650, protein_g=45, photo_url=PHOTO,
                      logged_at=at(25, 12, 30))  # fmt: skip
        await add_row(conn, "workout_logs", client_id=client, local_date=date(2026, 11, 25),
                      description=SCRIPT, duration_min=40, logged_at=at(25, 18))  # fmt: skip
        card = await add_card(conn, client, date(2026, 11, 26), "done", "pending", label="walk")
        await conn.execute("UPDATE job_cards SET issued_at = $1 WHERE id = $2", at(26, 7), card)
        await add_row(conn, "deliveries", client_id=client, recipient_discord_id="1" * 18,
                      kind="jobcard", text="Today's job card", status="sent", attempts=1,
                      created_at=at(26, 7), sent_at=at(26, 7))  # fmt: skip
        await conn.execute(
            "INSERT INTO trigger_fires (engine, trigger, client_id, local_date, scheduled_for,"
            " status, reason, deadline_at) VALUES ('checkin', 'morning_prompt', $1, $2, $3,"
            " 'missed', 'no answer by the deadline', $4)",
            client,
            date(2026, 11, 24),
            at(24, 7, 30),
            at(24, 12),
        )
        await add_row(conn, "direct_messages", client_id=client, discord_message_id="9" * 18,
                      text=SCRIPT, received_at=at(26, 9))  # fmt: skip
    return client


async def page(client: httpx.AsyncClient, client_id: uuid.UUID, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/clients/{client_id}/timeline", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestTimeline:
    async def test_every_kind_newest_first_with_client_text_verbatim(
        self, coach: httpx.AsyncClient, history: uuid.UUID
    ) -> None:
        body = await page(coach, history)
        assert [entry["kind"] for entry in body["items"]] == [
            "dm",
            "job_card",
            "delivery",
            "workout",
            "meal",
            "weight",
            "checkin",
            "missed",
        ]
        assert (body["total"], body["next_before"]) == (8, None)
        entries = {entry["kind"]: entry for entry in body["items"]}
        assert entries["dm"]["text"] == SCRIPT
        assert entries["workout"]["description"] == SCRIPT
        assert entries["meal"]["description"] == SQLISH
        assert entries["meal"]["photo_url"] == PHOTO
        assert entries["checkin"]["notes"] == LONG_NOTE
        assert [(i["label"], i["status"]) for i in entries["job_card"]["items"]] == [
            ("walk 0", "done"),
            ("walk 1", "pending"),
        ]
        assert entries["missed"]["id"] == "checkin.morning_prompt:2026-11-24"
        assert entries["missed"]["reason"] == "no answer by the deadline"
        assert entries["weight"]["weight_kg"] == 79.4
        assert entries["delivery"]["delivery_kind"] == "jobcard"

    async def test_pages_by_cursor_without_skipping_or_repeating_ties(
        self, coach: httpx.AsyncClient, history: uuid.UUID
    ) -> None:
        seen, before, pages = [], None, 0
        while True:
            params: dict[str, Any] = {"limit": 3} | ({"before": before} if before else {})
            body = await page(coach, history, **params)
            assert body["total"] == 8
            seen += [entry["kind"] for entry in body["items"]]
            pages += 1
            before = body["next_before"]
            if before is None:
                break
        assert pages == 3
        assert seen == [entry["kind"] for entry in (await page(coach, history))["items"]]

    async def test_filter_by_kind(self, coach: httpx.AsyncClient, history: uuid.UUID) -> None:
        body = await page(coach, history, kind=["meal", "checkin"])
        assert [entry["kind"] for entry in body["items"]] == ["meal", "checkin"]
        assert body["total"] == 2

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"before": "bm90IGEgY3Vyc29y"}, "query.before"),
            ({"before": "%%%"}, "query.before"),
            ({"kind": "selfie"}, "query.kind.0"),
            ({"limit": 0}, "query.limit"),
        ],
    )
    async def test_bad_parameters_are_422(
        self, coach: httpx.AsyncClient, history: uuid.UUID, params: dict[str, Any], field: str
    ) -> None:
        response = await coach.get(f"/clients/{history}/timeline", params=params)
        assert invalid_fields(response)[0] == field

    async def test_unknown_client_is_404(self, coach: httpx.AsyncClient) -> None:
        response = await coach.get(f"/clients/{uuid.uuid4()}/timeline")
        assert response.status_code == 404


class TestCharts:
    async def test_weight_trend_adherence_and_nutrition(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        async with pool.acquire() as conn, conn.transaction():
            client = await add_client(conn, "Sam")
            weights = [(10, 80.0), (19, 81.0), (20, 80.0), (22, 79.0), (22, 79.4), (26, 78.0)]
            for day, kg in weights:
                await add_row(conn, "weight_entries", client_id=client, weight_kg=kg,
                              local_date=date(2026, 11, day), measured_at=at(day, 7))  # fmt: skip
            for kcal, protein in ((650, 45), (None, 20)):
                await add_row(conn, "meal_logs", client_id=client, local_date=date(2026, 11, 25),
                              description="lunch", kcal=kcal, protein_g=protein,
                              logged_at=at(25, 12))  # fmt: skip
            await add_card(conn, client, date(2026, 11, 25), "done", "missed")
        response = await coach.get(f"/clients/{client}/charts", params={"days": 7})
        assert response.status_code == 200
        charts = response.json()
        assert charts["today"] == "2026-11-26"
        # Averages of the day means over each day and the six before it (11-19 included).
        assert [
            (p["local_date"][-2:], p["weight_kg"], p["moving_average_7d"]) for p in charts["weight"]
        ] == [
            ("20", 80.0, 80.5),
            ("22", 79.2, 80.07),
            ("26", 78.0, 79.07),
        ]
        assert [p["local_date"][-2:] for p in charts["adherence"]] == [
            "19", "20", "21", "22", "23", "24", "25",
        ]  # fmt: skip
        assert charts["adherence"][-1] | {"local_date": None} == {
            "local_date": None, "due": 2, "done": 1, "rate": 0.5,
        }  # fmt: skip
        nutrition = {p["local_date"][-2:]: p for p in charts["nutrition"]}
        assert list(nutrition) == ["20", "21", "22", "23", "24", "25", "26"]
        assert nutrition["25"] == {
            "local_date": "2026-11-25",
            "meals": 2,
            "kcal": 650,
            "protein_g": 65,
            "target_kcal": 2200,
            "target_protein_g": 150,
        }
        assert (nutrition["26"]["meals"], nutrition["26"]["kcal"]) == (0, None)

    async def test_days_are_bounded_and_clients_must_exist(
        self, coach: httpx.AsyncClient, history: uuid.UUID
    ) -> None:
        for days in (6, 366):
            response = await coach.get(f"/clients/{history}/charts", params={"days": days})
            assert response.status_code == 422
        assert (await coach.get(f"/clients/{uuid.uuid4()}/charts")).status_code == 404
