"""A client's full record as JSON and as a zip of CSV files."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from datetime import UTC, date, datetime

import asyncpg
import httpx
import pytest

from .records import add_card, add_checkin, add_client, add_flag, add_prompt, add_row

FORMULA = '=HYPERLINK("http://evil.example","click")'
NOTE = "<script>alert(1)</script> slept 5h; knee sore, 'quoted', \"double\", a,b\nnew line"


@pytest.fixture
async def record(pool: asyncpg.Pool) -> uuid.UUID:
    async with pool.acquire() as conn, conn.transaction():
        client = await add_client(conn, "Zoë O'Brien")
        await add_checkin(conn, client, date(2026, 11, 24), weight=80.2, notes=NOTE,
                          at=datetime(2026, 11, 24, 8, tzinfo=UTC))  # fmt: skip
        await add_checkin(conn, client, date(2026, 11, 25), notes=FORMULA,
                          at=datetime(2026, 11, 25, 8, tzinfo=UTC))  # fmt: skip
        await add_row(conn, "meal_logs", client_id=client, local_date=date(2026, 11, 25),
                      description="-2 eggs", kcal=300, protein_g=20,
                      photo_url="https://cdn.example.com/eggs.jpg",
                      logged_at=datetime(2026, 11, 25, 8, tzinfo=UTC))  # fmt: skip
        await add_card(conn, client, date(2026, 11, 25), "done", "missed", label="walk")
        await add_prompt(conn, client, date(2026, 11, 23), "missed", reason="no answer")
        await add_flag(conn, client, "high")
        await conn.execute(
            "INSERT INTO schedule_overrides (client_id, engine, trigger, enabled)"
            " VALUES ($1, 'meals', 'lunch_reminder', false)",
            client,
        )
        await add_client(conn, "Someone Else")  # never in the export
    return client


class TestJson:
    async def test_everything_about_the_client_oldest_first(
        self, coach: httpx.AsyncClient, record: uuid.UUID
    ) -> None:
        response = await coach.get(f"/clients/{record}/export.json")
        assert response.status_code == 200
        assert "attachment" in response.headers["content-disposition"]
        export = response.json()
        assert export["profile"]["display_name"] == "Zoë O'Brien"
        assert [c["notes"] for c in export["checkins"]] == [NOTE, FORMULA]  # verbatim
        assert export["meals"][0]["photo_url"] == "https://cdn.example.com/eggs.jpg"
        assert [i["status"] for i in export["job_cards"][0]["items"]] == ["done", "missed"]
        assert [m["reason"] for m in export["missed"]] == ["no answer"]
        assert [f["severity"] for f in export["flags"]] == ["high"]
        assert export["schedule_overrides"][0]["trigger"] == "lunch_reminder"
        assert export["schedule_overrides"][0]["enabled"] is False
        assert export["deliveries"] == export["messages"] == export["workouts"] == []
        assert export["exported_at"] == "2026-11-26T12:00:00+00:00"

    async def test_unknown_client_is_404(self, coach: httpx.AsyncClient) -> None:
        for suffix in ("json", "zip"):
            response = await coach.get(f"/clients/{uuid.uuid4()}/export.{suffix}")
            assert response.status_code == 404


def sheets(content: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    assert all(raw.startswith(b"\xef\xbb\xbf") for raw in files.values())  # Excel's UTF-8
    return {
        name: list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        for name, raw in files.items()
    }


class TestCsv:
    async def test_one_csv_per_section(self, coach: httpx.AsyncClient, record: uuid.UUID) -> None:
        response = await coach.get(f"/clients/{record}/export.zip")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        assert response.headers["content-disposition"].endswith('.zip"')
        files = sheets(response.content)
        assert set(files) == {
            "profile.csv", "schedule_overrides.csv", "checkins.csv", "weights.csv",
            "meals.csv", "workouts.csv", "job_card_items.csv", "deliveries.csv",
            "missed.csv", "messages.csv", "flags.csv",
        }  # fmt: skip
        (profile,) = files["profile.csv"]
        assert (profile["display_name"], profile["targets.kcal"]) == ("Zoë O'Brien", "2200")
        assert profile["targets.training_days"] == "mon wed fri"
        assert [row["notes"] for row in files["checkins.csv"]] == [NOTE, "'" + FORMULA]
        assert files["checkins.csv"][0]["weight_kg"] == "80.2"
        assert files["meals.csv"][0]["description"] == "'-2 eggs"
        assert files["meals.csv"][0]["kcal"] == "300"
        items = files["job_card_items.csv"]
        assert [(row["local_date"], row["item.label"], row["item.status"]) for row in items] == [
            ("2026-11-25", "walk 0", "done"),
            ("2026-11-25", "walk 1", "missed"),
        ]
        assert files["flags.csv"][0]["evidence"].startswith('[{"label": "check-in rate"')

    async def test_empty_sections_still_have_their_header(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        async with pool.acquire() as conn:
            client = await add_client(conn, "New")
        files = (await coach.get(f"/clients/{client}/export.zip")).content
        with zipfile.ZipFile(io.BytesIO(files)) as archive:
            header = archive.read("meals.csv").decode("utf-8-sig").splitlines()
            items = archive.read("job_card_items.csv").decode("utf-8-sig").splitlines()
        assert header == ["id,at,local_date,description,kcal,protein_g,carbs_g,fat_g,photo_url"]
        assert items[0].startswith("card_id,local_date,issued_at,item.id")
