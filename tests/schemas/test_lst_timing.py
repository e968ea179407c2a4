"""Wall-clock schedules to UTC in every IANA zone: gaps, overlaps and the far offsets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monstercoach_schemas.domain import Weekday
from monstercoach_schemas.lst.timing import (
    InvalidZoneError,
    local_instant,
    next_fire,
    previous_fire,
    zone,
)
from monstercoach_schemas.types import NOT_CLIENT_ZONES

EVERY_DAY = tuple(Weekday)
ZONES = sorted(available_timezones() - NOT_CLIENT_ZONES)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("zone_name", "day", "at", "expected_utc", "expected_local"),
    [
        # Spring forward 02:00 → 03:00: 02:30 does not exist, it fires at 03:00.
        ("America/New_York", date(2026, 3, 8), time(2, 30), _utc(2026, 3, 8, 7, 0), time(3, 0)),
        # Fall back: 01:30 happens twice, it fires at the first.
        ("America/New_York", date(2026, 11, 1), time(1, 30), _utc(2026, 11, 1, 5, 30), time(1, 30)),
        # Lord Howe moves only 30 minutes: 02:15 does not exist, it fires at 02:30.
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), _utc(2026, 10, 3, 15, 30),
         time(2, 30)),
        # Quarter- and half-hour offsets, and both ends of the world.
        ("Asia/Kathmandu", date(2026, 1, 1), time(7, 0), _utc(2026, 1, 1, 1, 15), time(7, 0)),
        ("Asia/Kolkata", date(2026, 1, 1), time(7, 0), _utc(2026, 1, 1, 1, 30), time(7, 0)),
        ("Australia/Eucla", date(2026, 1, 1), time(7, 0), _utc(2025, 12, 31, 22, 15), time(7, 0)),
        ("Pacific/Kiritimati", date(2026, 1, 1), time(7, 0), _utc(2025, 12, 31, 17, 0), time(7, 0)),
        ("Etc/GMT+12", date(2026, 1, 1), time(7, 0), _utc(2026, 1, 1, 19, 0), time(7, 0)),
        # Samoa skipped 2011-12-30 entirely: its 07:00 fires at the next valid minute.
        ("Pacific/Apia", date(2011, 12, 30), time(7, 0), _utc(2011, 12, 30, 10, 0), time(0, 0)),
    ],
)  # fmt: skip
def test_local_instant(
    zone_name: str, day: date, at: time, expected_utc: datetime, expected_local: time
) -> None:
    instant = local_instant(day, at, zone(zone_name))
    assert instant == expected_utc
    assert instant.astimezone(ZoneInfo(zone_name)).time() == expected_local


def test_an_ambiguous_time_fires_once_that_day() -> None:
    after = _utc(2026, 10, 31, 12, 0)
    fires = []
    for _ in range(3):
        fire = next_fire("America/New_York", time(1, 30), EVERY_DAY, after)
        fires.append(fire)
        after = fire.at
    assert [f.local_date for f in fires] == [
        date(2026, 11, 1),
        date(2026, 11, 2),
        date(2026, 11, 3),
    ]
    assert fires[0].at == _utc(2026, 11, 1, 5, 30)  # EDT, the first 01:30


def test_weekdays_are_respected_in_the_clients_zone() -> None:
    # Monday 07:00 in Auckland is Sunday evening in UTC.
    fire = next_fire("Pacific/Auckland", time(7, 0), (Weekday.MON,), _utc(2026, 11, 26, 0, 0))
    assert fire.local_date == date(2026, 11, 30)
    assert fire.local_date.weekday() == 0
    assert fire.at == _utc(2026, 11, 29, 18, 0)


def test_previous_fire_is_the_last_one_not_after() -> None:
    sunday_6pm = _utc(2026, 11, 29, 18, 0)
    assert previous_fire("UTC", time(18, 0), (Weekday.SUN,), sunday_6pm).at == sunday_6pm
    earlier = previous_fire("UTC", time(18, 0), (Weekday.SUN,), sunday_6pm - timedelta(minutes=1))
    assert earlier.at == sunday_6pm - timedelta(days=7)


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "localtime", "Factory", "../etc/passwd"])
def test_unusable_zones_are_refused_with_the_name(name: str) -> None:
    with pytest.raises(InvalidZoneError, match="time zone"):
        zone(name)


@settings(max_examples=300, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    start=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2037, 12, 1)),
    minute_of_day=st.integers(0, 24 * 60 - 1),
)
def test_every_zone_fires_once_per_local_day_at_or_just_after_the_time(
    zone_name: str, start: datetime, minute_of_day: int
) -> None:
    tz = ZoneInfo(zone_name)
    at = time(minute_of_day // 60, minute_of_day % 60)
    after = start.replace(tzinfo=UTC)
    previous = None
    for _ in range(4):
        fire = next_fire(zone_name, at, EVERY_DAY, after)
        assert fire.at > after
        wall = fire.at.astimezone(tz)
        nominal = datetime.combine(fire.local_date, at)
        if wall.replace(tzinfo=None) != nominal:
            # Only a wall time that does not exist moves, and only to the first minute
            # after the gap: one minute earlier is still before the gap.
            assert wall.replace(tzinfo=None) > nominal
            before = (fire.at - timedelta(minutes=1)).astimezone(tz).replace(tzinfo=None)
            assert before < nominal
        if previous is not None:
            # One fire per local date, no day skipped (except a day the zone skipped).
            assert fire.local_date == previous.local_date + timedelta(days=1)
        previous, after = fire, fire.at
