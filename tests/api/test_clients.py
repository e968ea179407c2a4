"""The roster and one client's profile, targets and status, against real PostgreSQL.

As of ``AT`` (2026-11-26 12:00 UTC):

* Alma (UTC, active) — today's card 1 of 2 done; checked in today. Last 7 days: the
  card of 11-25 (done, done, skipped) and a missed check-in prompt on 11-24: 4 due,
  2 done. Flags: high open, low acknowledged, medium resolved.
* Bo (Pacific/Kiritimati, UTC+14, paused) — already 11-27 02:00 there; prompt for 11-27
  sent, not answered yet. 11-26 (his yesterday): card done, done.
* Cy (America/New_York, active) — nothing logged; one open medium flag; last seen 11-20.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from structlog.testing import capture_logs

from monstercoach_api.clients import ranking, repository
from monstercoach_api.clients.ranking import WeeklyRates
from monstercoach_api.clients.schemas import RosterSort, SortOrder
from monstercoach_api.clock import utc_now

from .helpers import invalid_fields
from .records import AT, add_card, add_checkin, add_client, add_flag, add_prompt

ALMA_SEEN = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
EVERY_STATUS = {"status": ["onboarding", "active", "paused", "archived"]}
"""A filter that keeps every client."""
CY_SEEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def d(day: int) -> date:
    return date(2026, 11, day)


@pytest.fixture
async def roster(pool: asyncpg.Pool) -> dict[str, uuid.UUID]:
    async with pool.acquire() as conn, conn.transaction():
        alma = await add_client(conn, "Alma", last_activity_at=ALMA_SEEN)
        bo = await add_client(conn, "bo", "Pacific/Kiritimati", status="paused")
        cy = await add_client(conn, "Cy", "America/New_York", last_activity_at=CY_SEEN)
        await add_card(conn, alma, d(26), "done", "pending")
        await add_checkin(conn, alma, d(26))
        await add_card(conn, alma, d(25), "done", "done", "skipped")
        await add_prompt(conn, alma, d(24), "missed")
        await add_flag(conn, alma, "high")
        await add_flag(conn, alma, "low", code="PROTEIN_SHORT", status="acknowledged")
        await add_flag(conn, alma, "medium", code="GONE_QUIET", status="resolved")
        await add_card(conn, bo, d(26), "done", "done")
        await add_prompt(conn, bo, d(27), "enqueued")
        await add_flag(conn, cy, "medium")
    return {"alma": alma, "bo": bo, "cy": cy}


async def names(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/clients", params=params)
    assert response.status_code == 200, response.text
    return [row["display_name"] for row in response.json()["items"]]


class TestRoster:
    async def test_each_row_shows_today_and_the_week_in_the_clients_own_day(
        self, coach: httpx.AsyncClient, roster: dict[str, uuid.UUID]
    ) -> None:
        rows = {row["display_name"]: row for row in (await coach.get("/clients")).json()["items"]}
        alma, bo, cy = rows["Alma"], rows["bo"], rows["Cy"]
        assert alma["job_card"] | {"card_id": None} == {
            "client_id": str(roster["alma"]),
            "local_date": "2026-11-26",
            "card_id": None,
            "total": 2,
            "done": 1,
            "skipped": 0,
            "missed": 0,
            "pending": 1,
        }
        assert alma["checkin_today"] == "answered"
        assert alma["compliance_7d"] == {"due": 4, "done": 2, "rate": 0.5}
        days = {p["local_date"]: (p["due"], p["done"]) for p in alma["compliance_daily"]}
        assert list(days) == [f"2026-11-{day}" for day in range(19, 26)]
        assert (days["2026-11-25"], days["2026-11-24"], days["2026-11-23"]) == (
            (3, 2),
            (1, 0),
            (0, 0),
        )
        assert alma["open_flags"] == {"high": 1, "medium": 0, "low": 1}
        assert alma["last_activity_at"] == "2026-11-26T10:00:00+00:00"
        assert bo["local_now"] == "2026-11-27T02:00:00+14:00"
        assert bo["job_card"]["local_date"] == "2026-11-27"
        assert bo["checkin_today"] == "pending"
        assert bo["compliance_7d"] == {"due": 2, "done": 2, "rate": 1.0}
        assert bo["status"] == "paused"
        assert cy["local_now"] == "2026-11-26T07:00:00-05:00"
        assert cy["checkin_today"] == "not_asked"
        assert cy["compliance_7d"]["rate"] is None
        assert cy["open_flags"] == {"high": 0, "medium": 1, "low": 0}

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, ["Alma", "bo", "Cy"]),
            ({"status": "paused"}, ["bo"]),
            ({"status": ["active", "paused"]}, ["Alma", "bo", "Cy"]),
            ({"time_zone": "America/New_York"}, ["Cy"]),
            ({"flag_severity": "high"}, ["Alma"]),
            ({"flag_severity": "medium"}, ["Cy"]),  # Alma's medium flag is resolved
            ({"flag_severity": ["low", "medium"]}, ["Alma", "Cy"]),
            ({"q": "ALM"}, ["Alma"]),
            ({"q": "%"}, []),  # a literal percent sign, not a wildcard
        ],
    )
    async def test_filters(
        self,
        coach: httpx.AsyncClient,
        roster: dict[str, uuid.UUID],
        params: dict[str, Any],
        expected: list[str],
    ) -> None:
        assert await names(coach, **params) == expected

    async def test_search_by_discord_id(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        discord_id = await pool.fetchval(
            "SELECT discord_user_id FROM clients WHERE id = $1", roster["cy"]
        )
        assert await names(coach, q=discord_id) == ["Cy"]

    @pytest.mark.parametrize(
        ("sort", "order", "expected"),
        [
            ("name", None, ["Alma", "bo", "Cy"]),
            ("name", "desc", ["Cy", "bo", "Alma"]),
            ("compliance_7d", None, ["Alma", "bo", "Cy"]),  # nothing due: last
            ("compliance_7d", "desc", ["bo", "Alma", "Cy"]),
            ("last_activity", None, ["bo", "Cy", "Alma"]),  # never active: quietest
            ("last_activity", "desc", ["Alma", "Cy", "bo"]),
            ("open_flags", None, ["Alma", "Cy", "bo"]),
            ("open_flags", "asc", ["bo", "Cy", "Alma"]),
        ],
    )
    @pytest.mark.parametrize("everyone", [{}, EVERY_STATUS], ids=["whole roster", "filtered"])
    async def test_sorts(
        self,
        coach: httpx.AsyncClient,
        roster: dict[str, uuid.UUID],
        sort: str,
        order: str | None,
        expected: list[str],
        everyone: dict[str, Any],
    ) -> None:
        # The whole roster is one statement and a filtered one two (repository): a filter
        # that keeps everyone must give the same page.
        params = {"sort": sort} | ({"order": order} if order else {}) | everyone
        assert await names(coach, **params) == expected

    @pytest.mark.parametrize("everyone", [{}, EVERY_STATUS], ids=["whole roster", "filtered"])
    @pytest.mark.parametrize("sort", ["name", "compliance_7d", "last_activity", "open_flags"])
    async def test_pages_follow_the_order_in_both_directions(
        self,
        coach: httpx.AsyncClient,
        roster: dict[str, uuid.UUID],
        sort: str,
        everyone: dict[str, Any],
    ) -> None:
        for order in ("asc", "desc"):
            params = {"sort": sort, "order": order} | everyone
            whole = await names(coach, **params)
            pages = [await names(coach, **params, limit=2, offset=offset) for offset in (0, 2)]
            assert pages == [whole[:2], whole[2:]]

    async def test_a_new_client_is_on_the_roster_at_once_and_last_by_compliance(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        # Rank once, so the compliance sort reads stored rates the newcomer is not in yet.
        assert await names(coach, sort="compliance_7d") == ["Alma", "bo", "Cy"]
        async with pool.acquire() as conn:
            await add_client(conn, "Ada")
            await add_client(conn, "Zed")
        for everyone in ({}, EVERY_STATUS):
            assert await names(coach, **everyone) == ["Ada", "Alma", "bo", "Cy", "Zed"]
            by_rate = await names(coach, sort="compliance_7d", order="desc", **everyone)
            assert by_rate == ["bo", "Alma", "Ada", "Cy", "Zed"]

    async def test_the_stored_flag_counts_follow_every_change_to_flags(
        self, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        # roster_keys' counts (triggers on flags, migration 0007) against flags themselves.
        stored = "SELECT client_id, flags_high, flags_medium, flags_low FROM roster_keys"
        counted = """
            SELECT c.id,
                   count(f.id) FILTER (WHERE f.severity = 'high'),
                   count(f.id) FILTER (WHERE f.severity = 'medium'),
                   count(f.id) FILTER (WHERE f.severity = 'low')
            FROM clients AS c
            LEFT JOIN flags AS f ON f.client_id = c.id AND f.status <> 'resolved'
            GROUP BY c.id
        """

        async def agree() -> dict[uuid.UUID, tuple[int, ...]]:
            keys = {row[0]: tuple(row[1:]) for row in await pool.fetch(stored)}
            assert keys == {row[0]: tuple(row[1:]) for row in await pool.fetch(counted)}
            return keys

        assert (await agree())[roster["alma"]] == (1, 0, 1)
        async with pool.acquire() as conn:
            bo_flag = await add_flag(conn, roster["bo"], "high", code="GONE_QUIET")
            await add_flag(conn, roster["bo"], "low", code="PROTEIN_SHORT")
        assert (await agree())[roster["bo"]] == (1, 0, 1)
        await pool.execute("UPDATE flags SET status = 'resolved' WHERE id = $1", bo_flag)
        assert (await agree())[roster["bo"]] == (0, 0, 1)
        # Re-scanned: the same week's flag again, raised to high (the flag worker's upsert).
        await pool.execute(
            "UPDATE flags SET severity = 'high', status = 'open' WHERE client_id = $1",
            roster["cy"],
        )
        assert (await agree())[roster["cy"]] == (1, 0, 0)
        await pool.execute("DELETE FROM flags WHERE client_id = $1", roster["alma"])
        assert (await agree())[roster["alma"]] == (0, 0, 0)
        await pool.execute("DELETE FROM clients WHERE id = $1", roster["bo"])
        assert roster["bo"] not in await agree()
        await pool.execute("TRUNCATE flags")
        assert set((await agree()).values()) == {(0, 0, 0)}

    async def test_the_stored_total_follows_every_change_to_clients(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        # roster_total (triggers on clients, migration 0008) against clients themselves.
        async def total() -> int:
            stored: int = await pool.fetchval("SELECT clients FROM roster_total")
            assert stored == await pool.fetchval("SELECT count(*) FROM clients")
            page = (await coach.get("/clients", params={"limit": 1})).json()
            assert page["total"] == stored
            return stored

        assert await total() == 3
        async with pool.acquire() as conn:
            await add_client(conn, "Dee")
            # Many at once, as the demo seed and the benchmarks load them.
            await conn.copy_records_to_table(
                "clients",
                records=[
                    (uuid.uuid4(), f"80000000000000000{n}", f"Copied {n}", "UTC", "active")
                    for n in range(5)
                ],
                columns=["id", "discord_user_id", "display_name", "time_zone", "status"],
            )
        assert await total() == 9
        # A statement that adds none and fails half-way leaves it as it was.
        with pytest.raises(asyncpg.UniqueViolationError):
            await pool.execute(
                "INSERT INTO clients (id, discord_user_id, display_name, time_zone, status)"
                " SELECT gen_random_uuid(), '900000000000000001', 'Twin', 'UTC', 'active'"
                " FROM generate_series(1, 2)"
            )
        assert await total() == 9
        await pool.execute("DELETE FROM clients WHERE id = $1", roster["bo"])
        assert await total() == 8
        await pool.execute("DELETE FROM clients WHERE display_name LIKE 'Copied %'")
        assert await total() == 3
        await pool.execute("TRUNCATE clients CASCADE")
        assert await total() == 0

    async def test_a_resolved_flag_moves_its_client_in_the_default_order_at_once(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        default = {"sort": "open_flags", "order": "desc"}
        assert await names(coach, **default) == ["Alma", "Cy", "bo"]
        (alma_high,) = await pool.fetchval(
            "SELECT array_agg(id) FROM flags WHERE client_id = $1 AND severity = 'high'",
            roster["alma"],
        )
        response = await coach.post(f"/flags/{alma_high}/resolve", json={"note": "talked"})
        assert response.status_code == 200, response.text
        # Alma keeps an acknowledged low flag, Cy an open medium one.
        for everyone in ({}, EVERY_STATUS):
            assert await names(coach, **default, **everyone) == ["Cy", "Alma", "bo"]

    async def test_a_renamed_client_moves_in_the_name_order_at_once(
        self, coach: httpx.AsyncClient, roster: dict[str, uuid.UUID]
    ) -> None:
        response = await coach.patch(f"/clients/{roster['alma']}", json={"display_name": "Zoe"})
        assert response.status_code == 200
        assert await names(coach) == ["bo", "Cy", "Zoe"]
        assert await names(coach, **EVERY_STATUS) == ["bo", "Cy", "Zoe"]

    async def test_equal_names_keep_one_order_by_id_in_both_directions(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool
    ) -> None:
        async with pool.acquire() as conn:
            same = sorted([await add_client(conn, name) for name in ("ann", "Ann", "ANN")])
            bea = await add_client(conn, "Bea")

        async def ids(**params: str) -> list[uuid.UUID]:
            response = await coach.get("/clients", params=params)
            return [uuid.UUID(row["id"]) for row in response.json()["items"]]

        assert await ids() == [*same, bea]
        assert await ids(order="desc") == [bea, *same]

    async def test_pages_carry_the_total(
        self, coach: httpx.AsyncClient, roster: dict[str, uuid.UUID]
    ) -> None:
        first = (await coach.get("/clients", params={"limit": 2})).json()
        second = (await coach.get("/clients", params={"limit": 2, "offset": 2})).json()
        past = (await coach.get("/clients", params={"limit": 2, "offset": 10})).json()
        assert [len(first["items"]), len(second["items"]), len(past["items"])] == [2, 1, 0]
        assert first["total"] == second["total"] == past["total"] == 3
        assert (second["limit"], second["offset"]) == (2, 2)

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"sort": "shoe_size"}, "query.sort"),
            ({"order": "sideways"}, "query.order"),
            ({"limit": 0}, "query.limit"),
            ({"limit": 201}, "query.limit"),
            ({"offset": -1}, "query.offset"),
            ({"status": "retired"}, "query.status.0"),
            ({"flag_severity": "urgent"}, "query.flag_severity.0"),
            ({"time_zone": "Mars/Olympus_Mons"}, "query.time_zone.0"),
            ({"q": ""}, "query.q"),
        ],
    )
    async def test_invalid_parameters_are_422_with_the_field(
        self, coach: httpx.AsyncClient, params: dict[str, Any], field: str
    ) -> None:
        response = await coach.get("/clients", params=params)
        assert invalid_fields(response) == [field]


class TestClientDetail:
    async def test_profile_summary_and_28_days(
        self, coach: httpx.AsyncClient, roster: dict[str, uuid.UUID]
    ) -> None:
        response = await coach.get(f"/clients/{roster['alma']}")
        assert response.status_code == 200
        body = response.json()
        assert body["profile"]["display_name"] == "Alma"
        assert body["profile"]["targets"]["kcal"] == 2200
        assert body["summary"]["compliance_7d"]["due"] == 4
        assert body["compliance_28d"] == {"due": 4, "done": 2, "rate": 0.5}

    async def test_unknown_and_malformed_ids(self, coach: httpx.AsyncClient) -> None:
        unknown = await coach.get(f"/clients/{uuid.uuid4()}")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "client_not_found"
        malformed = await coach.get("/clients/not-a-uuid")
        assert invalid_fields(malformed)[0] == "path.client_id"


class TestEditProfile:
    async def test_only_the_fields_sent_change_and_the_edit_is_audited(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        response = await coach.patch(
            f"/clients/{roster['alma']}",
            json={
                "goal": "recomp",
                "goal_weight_kg": 68.5,
                "targets": {"kcal": 1850, "training_days": ["fri", "mon", "fri"]},
            },
        )
        assert response.status_code == 200, response.text
        profile = response.json()
        assert profile["goal"] == "recomp"
        assert profile["goal_weight_kg"] == 68.5
        assert profile["targets"]["kcal"] == 1850
        assert profile["targets"]["protein_g"] == 150  # not sent: unchanged
        assert profile["targets"]["training_days"] == ["mon", "fri"]  # once each, Monday first
        assert profile["display_name"] == "Alma"
        audit = await pool.fetchrow(
            "SELECT target, details FROM audit_log WHERE action = 'client.update'"
        )
        assert audit["target"] == str(roster["alma"])
        assert audit["details"]["changed"]["targets.kcal"] == {"from": 2200, "to": 1850}
        assert audit["details"]["changed"]["goal"] == {"from": "fat_loss", "to": "recomp"}
        assert "targets.protein_g" not in audit["details"]["changed"]
        cleared = await coach.patch(f"/clients/{roster['alma']}", json={"goal_weight_kg": None})
        assert cleared.json()["goal_weight_kg"] is None

    async def test_an_edit_that_changes_nothing_is_not_audited(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        response = await coach.patch(f"/clients/{roster['alma']}", json={"display_name": "Alma"})
        assert response.status_code == 200
        assert (
            await pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'client.update'")
            == 0
        )

    @pytest.mark.parametrize(
        "name",
        [
            "<script>alert('pwned')</script>",
            "Robert'); DROP TABLE clients;--",
            "Zoë 🏋️ O'Brien-Łukasz",
        ],
    )
    async def test_names_are_stored_and_returned_verbatim(
        self, coach: httpx.AsyncClient, roster: dict[str, uuid.UUID], name: str
    ) -> None:
        saved = await coach.patch(f"/clients/{roster['cy']}", json={"display_name": name})
        assert saved.json()["display_name"] == name
        assert await names(coach, q=name) == [name]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"targets": {"kcal": 30000}}, "body.targets.kcal"),
            ({"targets": {"protein_g": -1}}, "body.targets.protein_g"),
            ({"targets": {"training_days": ["someday"]}}, "body.targets.training_days.0"),
            ({"targets": {"fibre_g": 30}}, "body.targets.fibre_g"),
            ({"goal_weight_kg": 5}, "body.goal_weight_kg"),
            ({"time_zone": "Mars/Olympus_Mons"}, "body.time_zone"),
            ({"display_name": ""}, "body.display_name"),
            ({"display_name": "x" * 81}, "body.display_name"),
            ({"display_name": None}, "body.display_name"),
            ({"goal": "world_domination"}, "body.goal"),
            ({"nickname": "Al"}, "body.nickname"),
        ],
    )
    async def test_invalid_edits_are_422_with_the_field(
        self,
        coach: httpx.AsyncClient,
        roster: dict[str, uuid.UUID],
        body: dict[str, Any],
        field: str,
    ) -> None:
        response = await coach.patch(f"/clients/{roster['alma']}", json=body)
        assert invalid_fields(response) == [field]

    async def test_editing_an_unknown_client_is_404(self, coach: httpx.AsyncClient) -> None:
        response = await coach.patch(f"/clients/{uuid.uuid4()}", json={"goal": "recomp"})
        assert response.status_code == 404


class TestStatus:
    async def test_pause_archive_and_reactivate_are_audited(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        for status in ("paused", "archived", "active"):
            response = await coach.put(f"/clients/{roster['alma']}/status", json={"status": status})
            assert response.status_code == 200
            assert response.json()["status"] == status
        again = await coach.put(f"/clients/{roster['alma']}/status", json={"status": "active"})
        assert again.status_code == 200
        audit = await pool.fetch(
            "SELECT details FROM audit_log WHERE action = 'client.status' ORDER BY id"
        )
        assert [(row["details"]["from"], row["details"]["to"]) for row in audit] == [
            ("active", "paused"),
            ("paused", "archived"),
            ("archived", "active"),
        ]

    @pytest.mark.parametrize("status", ["onboarding", "deleted", None])
    async def test_only_coach_statuses_are_accepted(
        self, coach: httpx.AsyncClient, roster: dict[str, uuid.UUID], status: str | None
    ) -> None:
        response = await coach.put(f"/clients/{roster['alma']}/status", json={"status": status})
        assert invalid_fields(response)[0] == "body.status"

    async def test_unknown_client_is_404(self, coach: httpx.AsyncClient) -> None:
        response = await coach.put(f"/clients/{uuid.uuid4()}/status", json={"status": "paused"})
        assert response.status_code == 404


async def stored_rates(pool: asyncpg.Pool) -> dict[uuid.UUID, float]:
    rows = await pool.fetch("SELECT client_id, rate FROM roster_keys WHERE rate IS NOT NULL")
    return {row["client_id"]: row["rate"] for row in rows}


async def ready(pool: asyncpg.Pool, rates: WeeklyRates, now: datetime) -> None:
    """What a compliance-sorted request does before it reads its page."""
    async with pool.acquire() as conn:
        await rates.ready(conn, pool, now)


async def refreshed_in_the_background(
    pool: asyncpg.Pool, rates: WeeklyRates, now: datetime
) -> None:
    """A request on a stale ranking: it goes on at once while the ranking is recomputed;
    returns once the recomputation is done."""
    await ready(pool, rates, now)
    refresh = rates.refreshing
    assert refresh is not None
    assert not refresh.done()
    await refresh


class TestComplianceRanking:
    async def test_the_order_is_the_stored_ranking_while_it_is_recent(
        self, coach: httpx.AsyncClient, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        # Not the clients' figures (Alma 0.5, bo 1.0, Cy nothing due): the stored ones.
        await pool.executemany(
            "UPDATE roster_keys SET rate = $2 WHERE client_id = $1",
            [(roster["bo"], 0.1), (roster["cy"], 0.9)],
        )
        await pool.execute("INSERT INTO client_rates_state (computed_at) VALUES ($1)", AT)
        response = await coach.get("/clients", params={"sort": "compliance_7d"})
        rows = response.json()["items"]
        assert [row["display_name"] for row in rows] == ["bo", "Cy", "Alma"]
        # The rows themselves are computed (no weeks are stored).
        assert [row["compliance_7d"]["rate"] for row in rows] == [1.0, None, 0.5]

    async def test_a_changed_week_reorders_the_roster_after_the_next_refresh_not_before(
        self,
        app: FastAPI,
        coach: httpx.AsyncClient,
        pool: asyncpg.Pool,
        roster: dict[str, uuid.UUID],
    ) -> None:
        clock = [AT]
        app.dependency_overrides[utc_now] = lambda: clock[0]
        weekly: WeeklyRates = app.state.weekly_rates
        assert await names(coach, sort="compliance_7d") == ["Alma", "bo", "Cy"]
        async with pool.acquire() as conn:
            await add_card(conn, roster["cy"], d(25), "skipped")  # Cy: 0 of 1
            # As the api's ingest does for an event about a past day.
            await repository.mark_stale(conn, [repository.DayEvent(roster["cy"], d(25))])
        clock[0] = AT + timedelta(seconds=59)
        assert await names(coach, sort="compliance_7d") == ["Alma", "bo", "Cy"]
        assert weekly.refreshing is None
        clock[0] = AT + timedelta(seconds=60)
        await names(coach, sort="compliance_7d")  # stale: starts the refresh
        if (refresh := weekly.refreshing) is not None:
            await refresh
        assert await names(coach, sort="compliance_7d") == ["Cy", "Alma", "bo"]

    async def test_a_refresh_rewrites_the_rates_and_clears_those_with_nothing_due(
        self, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        rates = WeeklyRates()
        await ready(pool, rates, AT)
        first = await stored_rates(pool)
        assert first == {roster["alma"]: 0.5, roster["bo"]: 1.0}
        async with pool.acquire() as conn:
            # Written behind the ingest's back: no week is marked stale.
            await add_card(conn, roster["cy"], d(25), "done")
            await conn.execute("DELETE FROM job_cards WHERE client_id = $1", roster["bo"])
        # Between full passes only the weeks that no longer fit are recomputed: none here.
        await refreshed_in_the_background(pool, rates, AT + timedelta(seconds=60))
        assert await stored_rates(pool) == first
        # The next full pass recomputes every client's.
        await refreshed_in_the_background(pool, rates, AT + ranking.FULL_TTL)
        assert await stored_rates(pool) == {roster["alma"]: 0.5, roster["cy"]: 1.0}
        await rates.aclose()

    async def test_between_full_passes_a_stale_or_rolled_over_week_is_recomputed(
        self, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        rates = WeeklyRates(full_ttl=timedelta(days=7))  # every pass after the first: not full
        await ready(pool, rates, AT)
        async with pool.acquire() as conn:
            await add_card(conn, roster["cy"], d(25), "done")
            await repository.mark_stale(conn, [repository.DayEvent(roster["cy"], d(25))])
        await refreshed_in_the_background(pool, rates, AT + timedelta(seconds=60))
        assert (await stored_rates(pool))[roster["cy"]] == 1.0
        # A day later every client's day has rolled over: every week is recomputed.
        await refreshed_in_the_background(pool, rates, AT + timedelta(days=1, seconds=120))
        weeks = "SELECT client_id, local_date FROM client_weeks"
        assert {row["client_id"]: row["local_date"] for row in await pool.fetch(weeks)} == {
            roster["alma"]: d(27),
            roster["bo"]: d(28),
            roster["cy"]: d(27),
        }
        await rates.aclose()

    async def test_only_a_process_that_finds_no_ranking_ever_computed_waits(
        self, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        first = WeeklyRates()
        await ready(pool, first, AT)  # nothing stored yet: waits for it
        assert await stored_rates(pool) == {roster["alma"]: 0.5, roster["bo"]: 1.0}
        await first.aclose()
        async with pool.acquire() as conn:
            await add_card(conn, roster["cy"], d(25), "done")

        # A restart within the TTL serves the stored ranking: nothing recomputed.
        restarted = WeeklyRates()
        await ready(pool, restarted, AT + timedelta(seconds=30))
        assert restarted.refreshing is None
        assert roster["cy"] not in await stored_rates(pool)

        # One after it: recomputed in the background, the request not held up.
        later = WeeklyRates()
        await refreshed_in_the_background(pool, later, AT + timedelta(seconds=120))
        assert (await stored_rates(pool))[roster["cy"]] == 1.0
        await later.aclose()

    async def test_two_processes_starting_together_compute_the_ranking_once(
        self, pool: asyncpg.Pool, roster: dict[str, uuid.UUID], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        computed: list[datetime] = []
        store = repository.store_ranking

        async def counted(conn: asyncpg.Connection, at: datetime, *, full: bool) -> None:
            computed.append(at)
            await store(conn, at, full=full)

        monkeypatch.setattr(repository, "store_ranking", counted)

        async def first_page(rates: WeeklyRates) -> dict[uuid.UUID, float]:
            await ready(pool, rates, AT)
            return await stored_rates(pool)

        seen = await asyncio.gather(first_page(WeeklyRates()), first_page(WeeklyRates()))
        assert computed == [AT]
        assert seen == [{roster["alma"]: 0.5, roster["bo"]: 1.0}] * 2

    async def test_a_process_skips_its_refresh_while_another_one_writes(
        self, pool: asyncpg.Pool, roster: dict[str, uuid.UUID], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await ready(pool, WeeklyRates(), AT)
        computed: list[datetime] = []

        async def counted(conn: asyncpg.Connection, at: datetime, *, full: bool) -> None:
            computed.append(at)

        monkeypatch.setattr(repository, "store_ranking", counted)
        rates = WeeklyRates()
        async with pool.acquire() as other, other.transaction():
            await other.execute("SELECT pg_advisory_xact_lock($1)", repository.RANKING_LOCK)
            await ready(pool, rates, AT + timedelta(seconds=120))
            refresh = rates.refreshing
            assert refresh is not None
            async with asyncio.timeout(5):  # not waiting for the other process
                await refresh
            await ready(pool, rates, AT + timedelta(seconds=121))
            assert rates.refreshing is None  # its next turn is a TTL later
        assert computed == []
        assert await stored_rates(pool) == {roster["alma"]: 0.5, roster["bo"]: 1.0}

    async def test_a_deleted_client_leaves_the_ranking(
        self, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        await ready(pool, WeeklyRates(), AT)
        await pool.execute("DELETE FROM clients WHERE id = $1", roster["alma"])
        assert await stored_rates(pool) == {roster["bo"]: 1.0}


async def test_text_the_database_cannot_hold_is_422_not_500(
    coach: httpx.AsyncClient, roster: dict[str, uuid.UUID]
) -> None:
    edit = await coach.patch(f"/clients/{roster['alma']}", json={"display_name": "Al\x00ma"})
    search = await coach.get("/clients", params={"q": "Al\x00ma"})
    for response in (edit, search):
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "unstorable_value"
    assert (await coach.get(f"/clients/{roster['alma']}")).json()["profile"][
        "display_name"
    ] == "Alma"


async def refreshed(app: FastAPI) -> None:
    """Wait for the refresh a roster request may have started (if it is still running)."""
    weekly: WeeklyRates = app.state.weekly_rates
    if (refresh := weekly.refreshing) is not None:
        await refresh


def by_name(page: httpx.Response) -> dict[str, dict[str, Any]]:
    assert page.status_code == 200, page.text
    return {row["display_name"]: row for row in page.json()["items"]}


def week_of(row: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {day["local_date"]: (day["due"], day["done"]) for day in row["compliance_daily"]}


class TestStoredWeeks:
    """A roster row reads its client's stored week (``client_weeks``) when it is the week
    of their local today and not stale, and computes it otherwise."""

    async def test_every_sort_keeps_the_weeks_and_a_page_never_waits_for_them(
        self,
        app: FastAPI,
        coach: httpx.AsyncClient,
        pool: asyncpg.Pool,
        roster: dict[str, uuid.UUID],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        release = asyncio.Event()
        store = repository.store_ranking

        async def held(conn: asyncpg.Connection, at: datetime, *, full: bool) -> None:
            await release.wait()
            await store(conn, at, full=full)

        monkeypatch.setattr(repository, "store_ranking", held)
        async with asyncio.timeout(5):  # a page that waited for the weeks would hang here
            rows = by_name(await coach.get("/clients", params={"sort": "last_activity"}))
        assert rows["Alma"]["compliance_7d"] == {"due": 4, "done": 2, "rate": 0.5}
        assert await pool.fetchval("SELECT count(*) FROM client_weeks") == 0
        release.set()
        await refreshed(app)
        stored = await pool.fetch("SELECT client_id, local_date, due, done FROM client_weeks")
        assert {row["client_id"]: tuple(row)[1:] for row in stored} == {
            roster["alma"]: (d(26), 4, 2),
            roster["bo"]: (d(27), 2, 2),  # already 11-27 in Kiritimati
            roster["cy"]: (d(26), 0, 0),  # nothing due: a week all the same, with no rate
        }
        # The ranking, from the same weeks in the same statement.
        assert await stored_rates(pool) == {roster["alma"]: 0.5, roster["bo"]: 1.0}

    async def test_a_row_reads_the_stored_week_of_the_clients_local_today(
        self,
        app: FastAPI,
        coach: httpx.AsyncClient,
        pool: asyncpg.Pool,
        roster: dict[str, uuid.UUID],
    ) -> None:
        computed = by_name(await coach.get("/clients"))
        await refreshed(app)
        assert by_name(await coach.get("/clients")) == computed
        # What the row shows is the stored week itself, not a computation that agrees.
        await pool.execute(
            "UPDATE client_weeks SET due = 9, done = 1, days = '[]' WHERE client_id = $1",
            roster["alma"],
        )
        alma = by_name(await coach.get("/clients"))["Alma"]
        assert alma["compliance_7d"] == {"due": 9, "done": 1, "rate": 0.111}
        assert alma["compliance_daily"] == []
        detail = await coach.get(f"/clients/{roster['alma']}")
        assert detail.json()["summary"]["compliance_7d"]["due"] == 9

    async def test_a_page_whose_weeks_are_all_stored_is_read_without_computing_any(
        self,
        app: FastAPI,
        coach: httpx.AsyncClient,
        pool: asyncpg.Pool,
        roster: dict[str, uuid.UUID],
    ) -> None:
        await coach.get("/clients")
        await refreshed(app)
        page = repository.whole_roster_query(RosterSort.NAME, SortOrder.ASC)
        filtered = by_name(await coach.get("/clients", params=EVERY_STATUS))
        async with pool.acquire() as conn:
            stored = await conn.fetchval(page.stored, AT, 50, 0)
            computed = await conn.fetchval(page.computing, AT, 50, 0)
            assert stored is not None
            assert json.loads(stored) == json.loads(computed)
            # Past the last page there is no week to miss.
            assert json.loads(await conn.fetchval(page.stored, AT, 50, 10))["items"] == []
            # With one week not stored, the cheaper statement cannot answer the page...
            await conn.execute("DELETE FROM client_weeks WHERE client_id = $1", roster["cy"])
            assert await conn.fetchval(page.stored, AT, 50, 0) is None
        # ...and the page, whole or filtered, is the same, computed.
        assert (await coach.get("/clients")).json() == json.loads(computed)
        assert by_name(await coach.get("/clients", params=EVERY_STATUS)) == filtered

    async def test_a_day_rolled_over_since_the_refresh_is_computed_not_read(
        self,
        app: FastAPI,
        coach: httpx.AsyncClient,
        pool: asyncpg.Pool,
        roster: dict[str, uuid.UUID],
    ) -> None:
        # Stored at 23:59:30 UTC; 40 s later (no refresh due yet) it is the next day in
        # UTC, and still 11-26 in New York and 11-27 in Kiritimati.
        clock = [datetime(2026, 11, 26, 23, 59, 30, tzinfo=UTC)]
        app.dependency_overrides[utc_now] = lambda: clock[0]
        before = by_name(await coach.get("/clients"))
        await refreshed(app)
        clock[0] += timedelta(seconds=40)
        after = by_name(await coach.get("/clients"))
        assert app.state.weekly_rates.refreshing is None
        assert week_of(before["Alma"])["2026-11-25"] == (3, 2)
        # Alma's new week ends with 11-26: its card (done, pending) and her check-in.
        assert list(week_of(after["Alma"])) == [f"2026-11-{day}" for day in range(20, 27)]
        assert week_of(after["Alma"])["2026-11-26"] == (3, 2)
        assert after["Alma"]["compliance_7d"] == {"due": 7, "done": 4, "rate": 0.571}
        for name in ("bo", "Cy"):  # read from their stored weeks, still current
            assert week_of(after[name]) == week_of(before[name])
        # What a process with nothing stored computes for that instant.
        await pool.execute("DELETE FROM client_weeks")
        assert by_name(await coach.get("/clients"))["Alma"] == after["Alma"]

    async def test_a_client_added_since_the_refresh_has_their_week_computed(
        self,
        app: FastAPI,
        coach: httpx.AsyncClient,
        pool: asyncpg.Pool,
        roster: dict[str, uuid.UUID],
    ) -> None:
        await coach.get("/clients")
        await refreshed(app)
        async with pool.acquire() as conn:
            dee = await add_client(conn, "Dee")
            await add_card(conn, dee, d(25), "done", "skipped")
        rows = by_name(await coach.get("/clients"))
        assert rows["Dee"]["compliance_7d"] == {"due": 2, "done": 1, "rate": 0.5}
        assert week_of(rows["Dee"])["2026-11-25"] == (2, 1)
        assert (
            await pool.fetchval("SELECT count(*) FROM client_weeks WHERE client_id = $1", dee) == 0
        )

    async def test_a_stale_week_is_computed_until_the_next_refresh_stores_it(
        self,
        app: FastAPI,
        coach: httpx.AsyncClient,
        pool: asyncpg.Pool,
        roster: dict[str, uuid.UUID],
    ) -> None:
        clock = [AT]
        app.dependency_overrides[utc_now] = lambda: clock[0]
        await coach.get("/clients")
        await refreshed(app)
        async with pool.acquire() as conn:
            await add_checkin(conn, roster["alma"], d(24))  # the missed prompt, answered late
        # Written straight to the table, the late answer waits for the refresh...
        assert by_name(await coach.get("/clients"))["Alma"]["compliance_7d"]["done"] == 2
        # ...unless the week is marked stale, as the api's ingest does (test_ingest.py).
        await pool.execute(
            "UPDATE client_weeks SET stale = true WHERE client_id = $1", roster["alma"]
        )
        assert by_name(await coach.get("/clients"))["Alma"]["compliance_7d"]["done"] == 3
        clock[0] = AT + timedelta(seconds=60)
        await coach.get("/clients")  # starts the refresh
        await refreshed(app)
        week = await pool.fetchrow(
            "SELECT done, stale FROM client_weeks WHERE client_id = $1", roster["alma"]
        )
        assert (week["done"], week["stale"]) == (3, False)

    async def test_a_refresh_that_changes_nothing_rewrites_nothing(
        self, pool: asyncpg.Pool, roster: dict[str, uuid.UUID]
    ) -> None:
        rates = WeeklyRates()
        await ready(pool, rates, AT)
        versions = "SELECT client_id, xmin::text FROM client_weeks ORDER BY client_id"
        first = await pool.fetch(versions)
        async with pool.acquire() as conn:
            await add_card(conn, roster["cy"], d(25), "done")
        await refreshed_in_the_background(pool, rates, AT + ranking.FULL_TTL)
        second = dict(await pool.fetch(versions))
        assert {row["client_id"] for row in first if second[row["client_id"]] != row["xmin"]} == {
            roster["cy"]
        }
        await rates.aclose()

    async def test_a_failed_refresh_leaves_the_pages_served_and_is_tried_again(
        self,
        app: FastAPI,
        coach: httpx.AsyncClient,
        pool: asyncpg.Pool,
        roster: dict[str, uuid.UUID],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        attempts: list[datetime] = []

        async def failing(conn: asyncpg.Connection, at: datetime, *, full: bool) -> None:
            attempts.append(at)
            raise asyncpg.QueryCanceledError("canceling statement due to statement timeout")

        monkeypatch.setattr(repository, "store_ranking", failing)
        weekly: WeeklyRates = app.state.weekly_rates
        with capture_logs() as logs:
            first = await coach.get("/clients")
            await asyncio.gather(*filter(None, [weekly.refreshing]), return_exceptions=True)
            second = await coach.get("/clients")
            await asyncio.gather(*filter(None, [weekly.refreshing]), return_exceptions=True)
        assert by_name(first)["Alma"]["compliance_7d"]["due"] == 4
        assert by_name(second) == by_name(first)
        assert len(attempts) == 2
        assert [e["status"] for e in logs if e["event"] == "stored weeks refresh failed"] == [
            "error",
            "error",
        ]
