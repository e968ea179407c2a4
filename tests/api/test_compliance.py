"""Derived figures against a hand-computed roster.

As of 2026-11-26 12:00 UTC:

* Alma (UTC) — today is 11-26. Job-card items on 11-25: done, done, skipped; on 11-20:
  done, missed; on 11-10: done, done; on 10-28 (29 days ago, outside both windows):
  done. Check-ins: 11-25 asked and answered, 11-24 asked and missed, 11-15 answered
  without being asked. Today's card: one done, one pending (never counted as due).
  7 days:  items 5 due / 3 done + check-ins 2 / 1  ->  7 due, 4 done
  28 days: items 7 due / 5 done + check-ins 3 / 2  -> 10 due, 7 done
* Bo (Pacific/Kiritimati, UTC+14) — it is already 11-27 02:00 there, so 11-26 is
  Bo's yesterday: its card (done, missed) counts; today's (11-27) card is pending.
  7 and 28 days: 2 due, 1 done.
* Cy (UTC) — nothing logged: nothing due, no rate.

The roster and the chart get these figures as JSON that PostgreSQL writes; the last test
holds that JSON's rate to the model's.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from monstercoach_api.clients.repository import summary_json
from monstercoach_api.compliance.repository import compliance, rate_sql
from monstercoach_api.compliance.schemas import Compliance

from .records import add_card, add_checkin, add_prompt

AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ALMA, BO, CY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def d(month: int, day: int) -> date:
    return date(2026, month, day)


@pytest.fixture
async def roster(pool: asyncpg.Pool) -> asyncpg.Pool:
    async with pool.acquire() as conn, conn.transaction():
        await conn.executemany(
            "INSERT INTO clients (id, discord_user_id, display_name, time_zone) "
            "VALUES ($1, $2, $3, $4)",
            [
                (ALMA, "700000000000000001", "Alma", "UTC"),
                (BO, "700000000000000002", "Bo", "Pacific/Kiritimati"),
                (CY, "700000000000000003", "Cy", "UTC"),
            ],
        )
        await add_card(conn, ALMA, d(11, 26), "done", "pending")
        await add_card(conn, ALMA, d(11, 25), "done", "done", "skipped")
        await add_card(conn, ALMA, d(11, 20), "done", "missed")
        await add_card(conn, ALMA, d(11, 10), "done", "done")
        await add_card(conn, ALMA, d(10, 28), "done")
        await add_checkin(conn, ALMA, d(11, 25))
        await add_prompt(conn, ALMA, d(11, 25), "answered")
        await add_prompt(conn, ALMA, d(11, 24), "missed")
        await add_checkin(conn, ALMA, d(11, 15))
        await add_card(conn, BO, d(11, 26), "done", "missed")
        await add_card(conn, BO, d(11, 27), "pending", "pending", "pending")
    return pool


async def test_compliance_over_7_and_28_local_days(roster: asyncpg.Pool) -> None:
    figures = {row.client_id: row for row in await compliance(roster, AT)}
    assert figures[ALMA].last_7_days == Compliance(due=7, done=4)
    assert figures[ALMA].last_28_days == Compliance(due=10, done=7)
    assert figures[ALMA].last_28_days.rate == 0.7
    assert figures[BO].last_7_days == figures[BO].last_28_days == Compliance(due=2, done=1)
    assert figures[CY].last_7_days == Compliance(due=0, done=0)
    assert figures[CY].last_7_days.rate is None


async def card_today(pool: asyncpg.Pool, client: uuid.UUID) -> dict[str, Any]:
    async with pool.acquire() as conn:
        card: dict[str, Any] = json.loads(await summary_json(conn, AT, client))["job_card"]
        return card


async def test_todays_job_card_progress_in_each_clients_own_day(roster: asyncpg.Pool) -> None:
    alma, bo, cy = [await card_today(roster, client) for client in (ALMA, BO, CY)]
    assert (alma["local_date"], alma["total"], alma["done"], alma["pending"]) == (
        "2026-11-26",
        2,
        1,
        1,
    )
    assert (bo["local_date"], bo["total"], bo["pending"], bo["done"]) == ("2026-11-27", 3, 3, 0)
    assert (cy["local_date"], cy["card_id"], cy["total"]) == ("2026-11-26", None, 0)


async def test_figures_for_chosen_clients_only(roster: asyncpg.Pool) -> None:
    chosen = [BO, CY]
    assert {row.client_id for row in await compliance(roster, AT, chosen)} == set(chosen)


async def test_the_window_moves_with_the_clock(roster: asyncpg.Pool) -> None:
    a_week_later = AT + timedelta(days=7)
    figures = {row.client_id: row for row in await compliance(roster, a_week_later)}
    # 11-26 is now inside the window (2 items, 1 done); 11-25 and 11-24 are past 7 days.
    assert figures[ALMA].last_7_days == Compliance(due=2, done=1)


async def test_the_rate_postgresql_writes_is_the_models(pool: asyncpg.Pool) -> None:
    """Every done/due up to 200 tasks, through the JSON the roster and chart send: the
    same figure as ``Compliance.rate``, ties (1/16, 1/80…) rounded up."""
    sent = json.loads(
        await pool.fetchval(
            f"""
            SELECT json_agg(json_build_object('due', due, 'done', done,
                                              'rate', {rate_sql("due", "done")}))::text
            FROM generate_series(0, 200) AS a (due)
            CROSS JOIN LATERAL generate_series(0, a.due) AS b (done)
            """
        )
    )
    assert len(sent) == 201 * 202 // 2
    differing = [
        figure for figure in sent if figure["rate"] != Compliance.model_validate(figure).rate
    ]
    assert differing == []
    rates = {(f["due"], f["done"]): f["rate"] for f in sent}
    assert (rates[16, 1], rates[80, 1], rates[3, 2], rates[5, 0]) == (0.063, 0.013, 0.667, 0)
