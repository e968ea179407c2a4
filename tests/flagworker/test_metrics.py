"""The metrics SQL against hand-built fixture weeks: exact values, client-local dates."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import pytest

from monstercoach_flagworker.metrics import WeekMetrics, fetch_metrics, has_started
from monstercoach_flagworker.review import load_client_words
from tests.flagworker.builders import (
    AFTER_THE_WEEK,
    MONDAY,
    WEEK,
    add_card,
    add_checkin,
    add_client,
    add_dm,
    add_fire,
    add_fires,
    add_meal,
    add_weight,
    add_workout,
    day,
)

SUN, MON, TUE, WED, THU, FRI, SAT = day(-1), day(0), day(1), day(2), day(3), day(4), day(5)
NEXT_MON = day(7)


async def metrics_by_name(
    pool: asyncpg.Pool, as_of: datetime = AFTER_THE_WEEK
) -> dict[str, WeekMetrics]:
    return {m.display_name: m for m in await fetch_metrics(pool, WEEK, as_of)}


class TestSteadyClient:
    """Every metric of one client with a bit of everything, some of it outside the week."""

    @pytest.fixture
    async def steady(self, pool: asyncpg.Pool) -> dict[str, object]:
        c = await add_client(pool, "Steady", "Europe/Berlin")
        for d in (SUN, MON, TUE, WED, FRI, day(5), NEXT_MON):
            await add_checkin(pool, c, d)
        await add_fire(pool, c, SUN, "missed")  # the week before: not counted
        await add_fires(pool, c, "aaamaam")
        await add_fires(pool, c, "aammmam", engine="meals", trigger="dinner_reminder")
        await add_card(pool, c, MON, ["done", "done", "skipped"])
        _, tuesday = await add_card(pool, c, TUE, ["done", "missed", "done"])
        _, wednesday = await add_card(pool, c, WED, ["missed", "missed", "missed"])
        _, thursday = await add_card(pool, c, THU, ["done", "pending", "done"])
        await add_meal(pool, c, SUN, 3000, 200)  # the week before: not counted
        meals = [
            await add_meal(pool, c, MON, 800, 60),
            await add_meal(pool, c, MON, 1000, 70, minute=5),
            await add_meal(pool, c, TUE, 2100, None),
            await add_meal(pool, c, THU, None, 40),
            await add_meal(pool, c, day(5), 900, 50),
            await add_meal(pool, c, day(5), 1200, 50, minute=5),
        ]
        await add_weight(pool, c, day(-8), 82.0)  # before both windows
        previous = [
            await add_weight(pool, c, day(-6), 81.0),
            await add_weight(pool, c, day(-4), 80.6),
            await add_weight(pool, c, day(-2), 80.8),
        ]
        this_week = [
            await add_weight(pool, c, MON, 80.0),
            await add_weight(pool, c, MON, 80.4, minute=30),  # same day: one day's mean
            await add_weight(pool, c, WED, 80.0),
            await add_weight(pool, c, FRI, 79.8),
        ]
        await add_workout(pool, c, day(6))
        return {
            "id": c,
            "meals": meals,
            "this_week": this_week,
            "previous": previous,
            "not_done": [tuesday[1], *wednesday, thursday[1]],
        }

    async def test_counts_rates_and_refs(self, pool: asyncpg.Pool, steady: dict) -> None:
        m = (await metrics_by_name(pool))["Steady"]
        assert (m.first_day, m.last_day, m.days_observed) == (MON, day(6), 7)
        assert m.checkins == 5
        assert m.missed_checkin_refs == (
            "checkin/morning_prompt/2026-11-19",
            "checkin/morning_prompt/2026-11-22",
        )
        assert (m.items_total, m.items_done, m.items_skipped) == (12, 6, 1)
        assert m.not_done_item_refs == tuple(steady["not_done"])
        assert m.jobcard_done_rate == 0.5

    async def test_intake_averages_over_days_with_a_figure(
        self, pool: asyncpg.Pool, steady: dict
    ) -> None:
        m = (await metrics_by_name(pool))["Steady"]
        assert m.meal_days == 4
        # kcal: Monday 1800, Tuesday 2100, Saturday 2100 (Thursday's meal has no kcal).
        assert (m.kcal_days, m.avg_kcal) == (3, 2000.0)
        # protein: Monday 130, Thursday 40, Saturday 100 (Tuesday's meal has none).
        assert (m.protein_days, m.avg_protein_g) == (3, 90.0)
        assert m.meal_refs == tuple(steady["meals"])

    async def test_weight_trend_compares_two_seven_day_averages(
        self, pool: asyncpg.Pool, steady: dict
    ) -> None:
        m = (await metrics_by_name(pool))["Steady"]
        # This week: day means 80.2 (two weigh-ins), 80.0, 79.8; the week before 81.0,
        # 80.6, 80.8. The entry of 2026-11-08 is outside both windows.
        assert (m.weight_days_now, m.weight_days_prev) == (3, 3)
        assert m.weight_avg_now == pytest.approx(80.0)
        assert m.weight_avg_prev == pytest.approx(80.8)
        assert m.weight_change_kg == -0.8
        # One weigh-in cited per day (either of Monday's two), the newest day first.
        friday, wednesday, monday, *before = m.weight_refs
        this_week = steady["this_week"]
        assert (friday, wednesday) == (this_week[3], this_week[2])
        assert monday in this_week[:2]
        assert before == steady["previous"][::-1]

    async def test_active_every_day_and_longest_missed_run(
        self, pool: asyncpg.Pool, steady: dict
    ) -> None:
        m = (await metrics_by_name(pool))["Steady"]
        assert (m.longest_silence_days, m.trailing_silence_days) == (0, 0)
        assert m.last_active_day == day(6)  # the Sunday workout
        # Dinner reminders missed Wednesday to Friday beat the single misses elsewhere
        # (a check-in on Thursday, Wednesday's ignored card).
        assert (m.missed_streak, m.missed_streak_what) == (3, "meals/dinner_reminder")
        assert m.missed_streak_refs == (
            "meals/dinner_reminder/2026-11-18",
            "meals/dinner_reminder/2026-11-19",
            "meals/dinner_reminder/2026-11-20",
        )


async def test_ignored_cards_in_a_row_are_a_missed_streak(pool: asyncpg.Pool) -> None:
    c = await add_client(pool, "Ignorer")
    cards = [await add_card(pool, c, day(n), ["missed", "pending"]) for n in range(4)]
    await add_card(pool, c, day(4), ["missed", "skipped"])  # a skip is an answer
    m = (await metrics_by_name(pool))["Ignorer"]
    assert (m.missed_streak, m.missed_streak_what) == (4, "job card")
    assert m.missed_streak_refs == tuple(str(card_id) for card_id, _ in cards)


async def test_silence_is_the_longest_run_of_days_without_activity(pool: asyncpg.Pool) -> None:
    c = await add_client(pool, "Drifter", "America/New_York")
    await add_checkin(pool, c, MON)
    await add_meal(pool, c, FRI, 500, 20)
    m = (await metrics_by_name(pool))["Drifter"]
    assert (m.longest_silence_days, m.trailing_silence_days) == (3, 2)  # Tue-Thu; Sat-Sun
    assert m.last_active_day == FRI


class TestFarTimeZones:
    """DMs are dated in the client's zone; a day is judged once it is over there."""

    @pytest.fixture
    async def far(self, pool: asyncpg.Pool) -> dict[str, UUID]:
        kiri = await add_client(pool, "Kiri", "Pacific/Kiritimati")  # UTC+14
        await add_dm(pool, kiri, datetime(2026, 11, 15, 9, 30, tzinfo=UTC), "before")  # Sun 23:30
        await add_dm(pool, kiri, datetime(2026, 11, 15, 10, 30, tzinfo=UTC), "monday")  # Mon 00:30
        await add_dm(pool, kiri, datetime(2026, 11, 22, 10, 30, tzinfo=UTC), "after")  # Mon 00:30
        baker = await add_client(pool, "Baker", "Etc/GMT+12")  # UTC-12
        await add_dm(pool, baker, datetime(2026, 11, 16, 11, 30, tzinfo=UTC))  # Sun 23:30
        await add_dm(pool, baker, datetime(2026, 11, 16, 12, 30, tzinfo=UTC))  # Mon 00:30
        await add_dm(pool, baker, datetime(2026, 11, 23, 11, 0, tzinfo=UTC))  # Sun 23:00
        return {"kiri": kiri, "baker": baker}

    async def test_local_dates_at_the_edges_of_the_week(
        self, pool: asyncpg.Pool, far: dict[str, UUID]
    ) -> None:
        metrics = await metrics_by_name(pool)
        kiri, baker = metrics["Kiri"], metrics["Baker"]
        assert (kiri.last_active_day, kiri.longest_silence_days) == (MON, 6)
        assert kiri.trailing_silence_days == 6
        # Baker wrote on Monday and Sunday (local): Tuesday to Saturday were silent.
        assert (baker.last_active_day, baker.longest_silence_days) == (day(6), 5)
        assert baker.trailing_silence_days == 0

    async def test_sunday_is_not_judged_until_it_is_over_locally(
        self, pool: asyncpg.Pool, far: dict[str, UUID]
    ) -> None:
        # Sunday 18:00 in UTC-12 is already Monday evening in UTC+14.
        metrics = await metrics_by_name(pool, datetime(2026, 11, 23, 6, tzinfo=UTC))
        assert metrics["Kiri"].days_observed == 7
        baker = metrics["Baker"]
        assert (baker.last_day, baker.days_observed) == (SAT, 6)
        assert (baker.longest_silence_days, baker.trailing_silence_days) == (5, 5)

    async def test_client_words_are_those_of_the_local_week(
        self, pool: asyncpg.Pool, far: dict[str, UUID]
    ) -> None:
        await add_checkin(pool, far["kiri"], TUE, notes="knee hurts a bit")
        await add_checkin(pool, far["kiri"], WED)  # no note: nothing said
        words = await load_client_words(pool, [far["kiri"]], MONDAY)
        assert [said.text for said in words[far["kiri"]].direct_messages] == ["monday"]
        assert [(s.local_date, s.text) for s in words[far["kiri"]].checkin_notes] == [
            (TUE, "knee hurts a bit")
        ]


async def test_client_with_no_data_is_silent_all_week(pool: asyncpg.Pool) -> None:
    await add_client(pool, "Ghost", "Europe/London")
    m = (await metrics_by_name(pool))["Ghost"]
    assert m.days_observed == 7
    assert (m.checkins, m.items_total, m.meal_days, m.kcal_days) == (0, 0, 0, 0)
    assert (m.avg_kcal, m.avg_protein_g, m.weight_avg_now, m.weight_change_kg) == (
        None,
        None,
        None,
        None,
    )
    assert (m.longest_silence_days, m.trailing_silence_days, m.last_active_day) == (7, 7, None)
    assert (m.missed_streak, m.missed_streak_what) == (0, None)
    assert m.checkin_rate == 0.0
    assert m.jobcard_done_rate is None


async def test_only_active_clients_are_scanned(pool: asyncpg.Pool) -> None:
    await add_client(pool, "Active")
    for status in ("paused", "onboarding", "archived"):
        c = await add_client(pool, status.title(), status=status)
        await add_checkin(pool, c, MON)
    assert list(await metrics_by_name(pool)) == ["Active"]


async def test_a_new_client_is_judged_from_the_first_full_day(pool: asyncpg.Pool) -> None:
    # Onboarded Thursday 05:00 in Tokyo: Friday to Sunday are judged.
    c = await add_client(
        pool, "Newbie", "Asia/Tokyo", created_at=datetime(2026, 11, 18, 20, tzinfo=UTC)
    )
    for d in (THU, FRI, SAT):
        await add_checkin(pool, c, d)
    m = (await metrics_by_name(pool))["Newbie"]
    assert (m.first_day, m.days_observed, m.checkins) == (FRI, 3, 2)
    assert (m.longest_silence_days, m.trailing_silence_days) == (1, 1)


async def test_one_client_scan_reads_only_that_client(pool: asyncpg.Pool) -> None:
    await add_client(pool, "Other")
    c = await add_client(pool, "Chosen")
    rows = await fetch_metrics(pool, WEEK, AFTER_THE_WEEK, c)
    assert [m.display_name for m in rows] == ["Chosen"]


def test_a_week_has_started_once_its_monday_began_in_utc_plus_14() -> None:
    assert not has_started(WEEK, datetime(2026, 11, 15, 9, 59, tzinfo=UTC))
    assert has_started(WEEK, datetime(2026, 11, 15, 10, 0, tzinfo=UTC))
