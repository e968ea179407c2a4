"""Constrained scalar types shared by every model: timestamps, zones, ids, bounded text."""

from __future__ import annotations

import os
import time
import uuid
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, StringConstraints


def _require_offset(value: Any) -> Any:
    # A naive timestamp is ambiguous across the coach's and clients' zones; refuse it
    # with a message that says how to fix it instead of pydantic's generic wording.
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from exc
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise ValueError(
            "timestamp has no UTC offset; send it with an explicit offset "
            "such as 2026-11-26T07:30:00+01:00"
        )
    return value


def _to_wire(value: datetime) -> str:
    # RFC 3339 (JSON Schema's "date-time", JavaScript's Date) only has whole-minute
    # offsets; a historic local mean time such as Managua's -05:45:12 would come out
    # unparsable, so such an instant is sent as the same instant in UTC.
    offset = value.utcoffset()
    if offset is not None and offset % timedelta(minutes=1):
        value = value.astimezone(UTC)
    return value.isoformat()


Timestamp = Annotated[
    datetime,
    BeforeValidator(_require_offset),
    # Always an explicit numeric offset on the wire ("+00:00", never a bare "Z").
    PlainSerializer(_to_wire, return_type=str, when_used="json"),
]
"""A timezone-aware instant; serialized as ISO 8601 with an explicit offset."""


# Names in the tz database that are not a place: "localtime" is whatever zone the
# server runs in (it differs between containers) and "Factory" is a placeholder.
NOT_CLIENT_ZONES = frozenset({"localtime", "Factory"})


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - NOT_CLIENT_ZONES


def _valid_zone(name: str) -> str:
    if name not in _zones():
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin")
    return name


TimeZoneName = Annotated[str, AfterValidator(_valid_zone)]
"""An IANA time zone name known to the system's tz database."""

DiscordId = Annotated[str, StringConstraints(pattern=r"^[0-9]{15,21}$")]
"""A Discord snowflake, kept as a string so JavaScript never rounds it."""


def _existing_week(value: str) -> str:
    # The pattern allows W53 in every year, but most ISO years have 52 weeks: a scan
    # for 2027-W53 would cover no days at all.
    year, week = int(value[:4]), int(value[6:])
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"{value} is not a week of ISO year {year}") from exc
    return value


IsoWeek = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$"),
    AfterValidator(_existing_week),
]
"""An ISO week such as 2026-W47."""

DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]

WeightKg = Annotated[float, Field(ge=20, le=400, description="body weight in kg (20-400)")]
SleepHours = Annotated[float, Field(ge=0, le=24, description="hours slept (0-24)")]
Energy = Annotated[int, Field(ge=1, le=10, description="self-rated energy (1-10)")]
Kcal = Annotated[int, Field(ge=0, le=20_000, description="kilocalories (0-20,000)")]
Grams = Annotated[int, Field(ge=0, le=2_000, description="grams of a macronutrient (0-2,000)")]
LocalDate = date


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): 48-bit ms timestamp, then randomness."""
    ms = time.time_ns() // 1_000_000 & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68  # top 12 random bits
    rand_b = rand & ((1 << 62) - 1)  # low 62 random bits
    return uuid.UUID(int=ms << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b)
