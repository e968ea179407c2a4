"""The LST, a client's schedule and overrides, and the fires coming up.

``AT`` is 2026-11-26 (a Thursday) 12:00 UTC.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from monstercoach_schemas.lst.registry import all_triggers

from .helpers import invalid_fields
from .records import add_client

PROMPT = "/schedule/checkin/morning_prompt"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def berlin(pool: asyncpg.Pool) -> uuid.UUID:
    async with pool.acquire() as conn:
        return await add_client(conn, "Jonas", "Europe/Berlin")


def entry_of(schedule: dict[str, Any], trigger: str) -> dict[str, Any]:
    (found,) = [e for e in schedule["entries"] if f"{e['engine']}.{e['trigger']}" == trigger]
    return found


class TestLst:
    async def test_every_trigger_of_the_registry_with_its_time_deadline_and_policy(
        self, coach: httpx.AsyncClient
    ) -> None:
        response = await coach.get("/lst")
        assert response.status_code == 200
        triggers = {
            f"{t['engine']}.{t['trigger']}": t
            for engine in response.json()["engines"]
            for t in engine["triggers"]
        }
        assert set(triggers) == {f"{t.engine}.{t.trigger}" for t in all_triggers()}
        prompt = triggers["checkin.morning_prompt"]
        assert (prompt["clock"], prompt["at"], prompt["deadline_at"]) == (
            "client_local",
            "07:30:00",
            "12:00:00",
        )
        assert prompt["missed_policy"] == "mark_missed"
        assert prompt["delivery_kind"] == "checkin_prompt"
        assert prompt["when"] == "07:30 client-local, every day"
        scan = triggers["weekly_scan.sunday_scan"]
        assert (scan["clock"], scan["weekdays"], scan["emits"]) == (
            "coach_local",
            ["sun"],
            "scan.requested",
        )


class TestClientSchedule:
    async def test_next_fires_in_local_time_and_utc(
        self, coach: httpx.AsyncClient, berlin: uuid.UUID
    ) -> None:
        response = await coach.get(f"/clients/{berlin}/schedule")
        assert response.status_code == 200
        schedule = response.json()
        assert (schedule["fires"], schedule["local_now"]) == (True, "2026-11-26T13:00:00+01:00")
        prompt = entry_of(schedule, "checkin.morning_prompt")
        # 13:00 in Berlin: today's 07:30 is past, so tomorrow's.
        assert prompt["next_fire"] == {
            "at": "2026-11-27T06:30:00+00:00",
            "local": "2026-11-27T07:30:00+01:00",
            "local_date": "2026-11-27",
            "deadline_at": "2026-11-27T11:00:00+00:00",
            "deadline_local": "2026-11-27T12:00:00+01:00",
        }
        dinner = entry_of(schedule, "meals.dinner_reminder")
        assert dinner["next_fire"]["local"] == "2026-11-26T19:00:00+01:00"
        assert dinner["next_fire"]["deadline_at"] is None
        assert all(e["override"] is None and e["problem"] is None for e in schedule["entries"])

    async def test_a_paused_client_has_no_next_fires(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        async with pool.acquire() as conn:
            paused = await add_client(conn, "Oliver", "Europe/London", status="paused")
        schedule = (await coach.get(f"/clients/{paused}/schedule")).json()
        assert schedule["fires"] is False
        assert all(entry["next_fire"] is None for entry in schedule["entries"])

    async def test_unknown_client_is_404(self, coach: httpx.AsyncClient) -> None:
        assert (await coach.get(f"/clients/{uuid.uuid4()}/schedule")).status_code == 404


class TestOverrides:
    async def test_move_and_reset_a_trigger(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, berlin: uuid.UUID
    ) -> None:
        moved = await coach.put(
            f"/clients/{berlin}{PROMPT}",
            json={"local_time": "06:15", "weekdays": ["sat", "mon"]},
        )
        assert moved.status_code == 200, moved.text
        entry = moved.json()
        assert (entry["local_time"], entry["weekdays"]) == ("06:15:00", ["mon", "sat"])
        assert entry["override"]["weekdays"] == ["mon", "sat"]
        # Thursday now: the next Saturday, 06:15 Berlin.
        assert entry["next_fire"]["local"] == "2026-11-28T06:15:00+01:00"
        stored = await pool.fetchrow("SELECT local_time, weekdays FROM schedule_overrides")
        assert (str(stored["local_time"]), stored["weekdays"]) == ("06:15:00", ["mon", "sat"])
        listed = entry_of(
            (await coach.get(f"/clients/{berlin}/schedule")).json(), "checkin.morning_prompt"
        )
        assert listed == entry

        reset = await coach.delete(f"/clients/{berlin}{PROMPT}")
        assert reset.status_code == 200
        assert (reset.json()["override"], reset.json()["local_time"]) == (None, "07:30:00")
        assert await pool.fetchval("SELECT count(*) FROM schedule_overrides") == 0
        again = await coach.delete(f"/clients/{berlin}{PROMPT}")
        assert again.status_code == 200
        actions = await pool.fetch(
            "SELECT action, details FROM audit_log WHERE action LIKE 'schedule.%' ORDER BY id"
        )
        assert [row["action"] for row in actions] == [
            "schedule.override",
            "schedule.override_removed",
        ]
        assert actions[0]["details"]["trigger"] == "checkin.morning_prompt"

    @pytest.mark.parametrize("local_time", ["06:15", "06:15:00"])
    async def test_a_time_is_hh_mm_with_or_without_seconds(
        self, coach: httpx.AsyncClient, berlin: uuid.UUID, local_time: str
    ) -> None:
        response = await coach.put(f"/clients/{berlin}{PROMPT}", json={"local_time": local_time})
        assert response.status_code == 200, response.text
        entry = response.json()
        assert (entry["local_time"], entry["override"]["local_time"]) == ("06:15:00", "06:15:00")

    async def test_turn_a_trigger_off(self, coach: httpx.AsyncClient, berlin: uuid.UUID) -> None:
        response = await coach.put(
            f"/clients/{berlin}/schedule/meals/lunch_reminder", json={"enabled": False}
        )
        assert response.status_code == 200
        assert (response.json()["enabled"], response.json()["next_fire"]) == (False, None)

    async def test_moving_past_the_deadline_is_422_saying_why(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, berlin: uuid.UUID
    ) -> None:
        response = await coach.put(f"/clients/{berlin}{PROMPT}", json={"local_time": "12:30"})
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["details"][0]["field"] == "body.local_time"
        assert "12:00 deadline" in error["message"]
        assert await pool.fetchval("SELECT count(*) FROM schedule_overrides") == 0

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"local_time": "07:30:15"}, "body.local_time"),
            ({"local_time": "25:00"}, "body.local_time"),
            ({"local_time": "07:30+02:00"}, "body.local_time"),
            ({"local_time": "07:30:00Z"}, "body.local_time"),
            ({"local_time": "7:30"}, "body.local_time"),
            ({"local_time": 27000}, "body.local_time"),
            ({"weekdays": []}, "body.weekdays"),
            ({"weekdays": ["mon", "mon"]}, "body.weekdays"),
            ({"weekdays": ["funday"]}, "body.weekdays.0"),
            ({"enabled": "perhaps"}, "body.enabled"),
            ({"snooze": True}, "body.snooze"),
        ],
    )
    async def test_invalid_overrides_are_422_with_the_field(
        self, coach: httpx.AsyncClient, berlin: uuid.UUID, body: dict[str, Any], field: str
    ) -> None:
        response = await coach.put(f"/clients/{berlin}{PROMPT}", json=body)
        assert invalid_fields(response)[0] == field

    @pytest.mark.parametrize(
        ("path", "status", "code"),
        [
            ("/schedule/checkin/no_such_trigger", 404, "unknown_trigger"),
            ("/schedule/nutrition/morning_prompt", 404, "unknown_trigger"),
            ("/schedule/weekly_scan/sunday_scan", 422, "not_a_client_trigger"),
            ("/schedule/Checkin/morning_prompt", 422, "validation_error"),
        ],
    )
    async def test_only_client_triggers_of_the_lst_have_overrides(
        self, coach: httpx.AsyncClient, berlin: uuid.UUID, path: str, status: int, code: str
    ) -> None:
        for method in ("PUT", "DELETE"):
            response = await coach.request(
                method, f"/clients/{berlin}{path}", json={"enabled": False}
            )
            assert (response.status_code, response.json()["error"]["code"]) == (status, code)

    async def test_unknown_client_is_404(self, coach: httpx.AsyncClient) -> None:
        response = await coach.put(f"/clients/{uuid.uuid4()}{PROMPT}", json={"enabled": False})
        assert response.status_code == 404


class TestUpcoming:
    async def test_planned_fires_of_active_clients_soonest_first(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, berlin: uuid.UUID
    ) -> None:
        async with pool.acquire() as conn:
            paused = await add_client(conn, "Oliver", "Europe/London", status="paused")
            await conn.executemany(
                "INSERT INTO next_fires (client_id, engine, trigger, fire_at, local_date)"
                " VALUES ($1, $2, $3, $4, ($4 AT TIME ZONE 'Europe/Berlin')::date)",
                [
                    (berlin, "meals", "dinner_reminder", at(26, 18)),
                    (berlin, "checkin", "morning_prompt", at(27, 6, 30)),
                    (berlin, "meals", "lunch_reminder", at(26, 11, 30)),
                    (paused, "meals", "dinner_reminder", at(26, 19)),
                ],
            )
        page = (await coach.get("/schedule/upcoming")).json()
        # The lunch fire is in the past (12:00 UTC now); the paused client's never fires.
        assert [(f["trigger"], f["local"]) for f in page["items"]] == [
            ("dinner_reminder", "2026-11-26T19:00:00+01:00"),
            ("morning_prompt", "2026-11-27T07:30:00+01:00"),
        ]
        assert page["total"] == 2
        only = (await coach.get("/schedule/upcoming", params={"engine": "checkin"})).json()
        assert [f["trigger"] for f in only["items"]] == ["morning_prompt"]
        past = (await coach.get("/schedule/upcoming", params={"offset": 5})).json()
        assert (past["items"], past["total"]) == ([], 2)
