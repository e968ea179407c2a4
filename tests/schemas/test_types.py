"""The constrained scalars every model is built from, at and just past each edge.

Each bound here is one a client or the coach would hit: a check-in refused for a
plausible weight, a check-in accepted for an impossible one, a reminder firing at the
wrong local hour because a time zone or a timestamp was misread.
"""

from __future__ import annotations

import re
import time
import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from monstercoach_schemas.types import (
    NOT_CLIENT_ZONES,
    DiscordId,
    DisplayName,
    Energy,
    IsoWeek,
    Kcal,
    Notes,
    SleepHours,
    Timestamp,
    TimeZoneName,
    WeightKg,
    uuid7,
)

TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(Timestamp)
NAIVE_MESSAGE = "timestamp has no UTC offset"

# RFC 3339's numeric offset: sign, hours, minutes, nothing finer. What JSON Schema's
# "date-time" promises and what JavaScript's Date (the Battle Station) can parse.
RFC3339_OFFSET = re.compile(r"[+-]\d{2}:\d{2}$")

# Instants the system could plausibly see (old logs imported, far-future deadlines),
# still reaching back to the local-mean-time offsets of the early 1900s.
PLAUSIBLE_INSTANTS = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.timezones(),
)


def accepts(annotation: Any, value: Any) -> bool:
    """Whether ``value`` validates as ``annotation`` (lax mode, as from a form)."""
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError:
        return False
    return True


# --- timestamps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "naive",
    [
        "2026-11-26T07:30:00",
        "2026-11-26 07:30:00",
        "2026-11-26",
        datetime(2026, 11, 26, 7, 30),
    ],
)
def test_naive_timestamp_is_rejected_with_how_to_fix(naive: str | datetime) -> None:
    with pytest.raises(ValidationError, match=NAIVE_MESSAGE):
        TIMESTAMP.validate_python(naive)


def test_naive_timestamp_in_json_is_rejected_with_how_to_fix() -> None:
    with pytest.raises(ValidationError, match=NAIVE_MESSAGE):
        TIMESTAMP.validate_json('"2026-11-26T07:30:00"')


def test_garbage_timestamp_says_it_is_not_iso_8601() -> None:
    with pytest.raises(ValidationError, match="not an ISO 8601 timestamp"):
        TIMESTAMP.validate_python("next tuesday")


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("2026-11-26T07:30:00Z", '"2026-11-26T07:30:00+00:00"'),
        ("2026-11-26T07:30:00+05:30", '"2026-11-26T07:30:00+05:30"'),
        ("2026-11-26T07:30:00-03:00", '"2026-11-26T07:30:00-03:00"'),
        (datetime(2026, 11, 26, 7, 30, tzinfo=UTC), '"2026-11-26T07:30:00+00:00"'),
        (
            datetime(2026, 11, 26, 7, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            '"2026-11-26T07:30:00+05:30"',
        ),
        (
            datetime(2026, 7, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")),
            '"2026-07-01T09:00:00+02:00"',
        ),
    ],
)
def test_aware_timestamp_is_accepted_and_keeps_its_offset_on_the_wire(
    value: str | datetime, wire: str
) -> None:
    parsed = TIMESTAMP.validate_python(value)
    assert TIMESTAMP.dump_json(parsed).decode() == wire


@given(PLAUSIBLE_INSTANTS)
def test_any_aware_instant_serializes_with_a_numeric_offset_and_round_trips(
    instant: datetime,
) -> None:
    wire = TIMESTAMP.dump_json(TIMESTAMP.validate_python(instant)).decode().strip('"')
    assert RFC3339_OFFSET.search(wire), wire
    back = TIMESTAMP.validate_json(f'"{wire}"')
    # Compared in UTC: Python never calls an instant inside a DST gap or fold equal to
    # one in another zone (PEP 495), even when they are the same instant.
    assert back.astimezone(UTC) == instant.astimezone(UTC)
    offset = instant.utcoffset()
    assert offset is not None
    if not offset % timedelta(minutes=1):
        assert back.utcoffset() == offset  # the client's local offset survives the trip


def test_historic_sub_minute_offset_is_sent_as_the_same_instant_in_utc() -> None:
    # Amsterdam kept local mean time (+00:19:32) until 1937; RFC 3339 cannot say that.
    instant = datetime(1930, 5, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam"))
    wire = TIMESTAMP.dump_json(instant).decode()
    assert wire == '"1930-05-01T11:40:28+00:00"'
    assert TIMESTAMP.validate_json(wire) == instant


# --- bounded numbers and text --------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "ok", "refused"),
    [
        pytest.param(WeightKg, [20, 20.0, 72.4, 400, 400.0], [19.99, 400.01, 0, -70], id="weight"),
        pytest.param(SleepHours, [0, 0.0, 7.5, 24], [-0.01, 24.01, 25], id="sleep"),
        pytest.param(Energy, [1, 5, 10], [0, 11, -1], id="energy"),
        pytest.param(Kcal, [0, 2200, 20_000], [-5, -1, 20_001], id="kcal"),
    ],
)
def test_numeric_bounds_hold_at_and_just_past_each_edge(
    annotation: Any, ok: list[float], refused: list[float]
) -> None:
    assert [v for v in ok if not accepts(annotation, v)] == []
    assert [v for v in refused if accepts(annotation, v)] == []


def test_energy_is_a_whole_number() -> None:
    assert not accepts(Energy, 7.5)


def test_notes_take_2000_characters_and_refuse_2001() -> None:
    assert accepts(Notes, "x" * 2000)
    assert not accepts(Notes, "x" * 2001)
    assert accepts(Notes, "")


def test_notes_do_not_count_surrounding_whitespace() -> None:
    # A client pasting from a phone often drags a trailing newline along.
    notes = TypeAdapter(Notes).validate_python("  " + "x" * 2000 + "\n")
    assert notes == "x" * 2000


def test_display_name_is_1_to_80_characters_after_trimming() -> None:
    names = TypeAdapter(DisplayName)
    assert names.validate_python("  Ana  ") == "Ana"
    assert accepts(DisplayName, "A")
    assert accepts(DisplayName, "é" * 80)
    assert not accepts(DisplayName, "x" * 81)
    assert not accepts(DisplayName, "")
    assert not accepts(DisplayName, "   ")


@pytest.mark.parametrize("snowflake", ["1" * 15, "1" * 21, "123456789012345678", "000000000000000"])
def test_discord_id_accepts_15_to_21_digits(snowflake: str) -> None:
    assert accepts(DiscordId, snowflake)


@pytest.mark.parametrize(
    "bad",
    [
        "1" * 14,
        "1" * 22,
        "12345678901234567a",
        " 123456789012345678",
        "123456789012345678\n",
        "-12345678901234567",
        "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦",  # Arabic-Indic digits are digits, not snowflakes
        "",
    ],
)
def test_discord_id_refuses_anything_else(bad: str) -> None:
    assert not accepts(DiscordId, bad)


def test_discord_id_must_be_sent_as_a_string() -> None:
    # As a JSON number a snowflake loses its last digits in JavaScript.
    assert not accepts(DiscordId, 123456789012345678)


@pytest.mark.parametrize("week", ["2026-W47", "2026-W01", "2026-W53", "2032-W53", "2027-W52"])
def test_iso_week_accepts_weeks_that_exist(week: str) -> None:
    assert accepts(IsoWeek, week)


@pytest.mark.parametrize(
    "bad", ["2026-W54", "2026-W00", "2026-47", "2026-W7", "26-W47", "2026-w47", "2026W47"]
)
def test_iso_week_refuses_malformed_weeks(bad: str) -> None:
    assert not accepts(IsoWeek, bad)


@pytest.mark.parametrize("missing", ["2027-W53", "2025-W53", "0000-W01"])
def test_iso_week_refuses_a_week_its_year_does_not_have(missing: str) -> None:
    # 2027 has 52 ISO weeks: a weekly scan for "2027-W53" would cover no days at all.
    with pytest.raises(ValidationError, match="ISO"):
        TypeAdapter(IsoWeek).validate_python(missing)


# --- time zones ----------------------------------------------------------------------------

ALL_ZONES = sorted(zoneinfo.available_timezones() - NOT_CLIENT_ZONES)


def test_the_system_knows_some_time_zones() -> None:
    # Without a tz database every client would be refused; fail loudly here instead.
    assert "Europe/Berlin" in ALL_ZONES
    assert "UTC" in ALL_ZONES


@given(st.sampled_from(ALL_ZONES))
def test_every_known_iana_zone_is_accepted(name: str) -> None:
    assert TypeAdapter(TimeZoneName).validate_python(name) == name
    zoneinfo.ZoneInfo(name)  # and the scheduler can load what was accepted


@pytest.mark.parametrize(
    "bad", ["Mars/Olympus", "europe/berlin", "CEST", "+01:00", "", "localtime", "Factory"]
)
def test_unknown_time_zone_is_refused_naming_the_iana_rule(bad: str) -> None:
    with pytest.raises(ValidationError, match="IANA name"):
        TypeAdapter(TimeZoneName).validate_python(bad)


# --- uuid7 ---------------------------------------------------------------------------------


def test_uuid7_is_version_7_with_the_rfc_variant() -> None:
    for _ in range(200):
        value = uuid7()
        assert value.version == 7
        assert value.variant == uuid.RFC_4122


def test_uuid7_carries_its_creation_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after


def test_uuid7_sorts_by_creation_time_across_milliseconds() -> None:
    made = []
    for _ in range(5):
        made.append(uuid7())
        time.sleep(0.002)  # next millisecond at least: ordering within one ms is random
    assert sorted(made) == made
    assert sorted(str(u) for u in made) == [str(u) for u in made]


def test_uuid7_values_are_unique() -> None:
    assert len({uuid7() for _ in range(10_000)}) == 10_000
