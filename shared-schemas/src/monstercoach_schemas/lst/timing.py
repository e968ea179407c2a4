"""Wall-clock schedules to UTC instants, in any IANA zone, DST included.

The rules a coach would expect:

* a local time that does not exist that day (spring forward) fires at the next valid
  minute — the first minute after the gap;
* a local time that happens twice (fall back) fires once, at its first occurrence;
* half- and quarter-hour offsets and the far ends (UTC+14, UTC-12) need no special case
  because every instant is computed by ``zoneinfo``, never by adding offsets by hand.

Every client in the same zone with the same schedule gets the same answer, so the tick
computes each distinct (zone, time, weekdays, after) once and shares it
(:func:`next_fire` is memoised).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..domain import Weekday
from ..types import NOT_CLIENT_ZONES

_WEEKDAYS = tuple(Weekday)  # Monday first, as date.weekday() counts
_MINUTE = timedelta(minutes=1)
# A gap is at most a day (Samoa skipped 2011-12-30 whole); a schedule repeats within a
# week. Together they bound the search for the next fire.
_SEARCH_DAYS = 9


class InvalidScheduleError(ValueError):
    """A client's stored schedule that cannot be run; the coach is told, the tick goes on."""


class InvalidZoneError(InvalidScheduleError):
    """A stored time zone name that is not a usable IANA zone."""


@dataclass(frozen=True)
class Fire:
    """One occurrence of a schedule: the UTC instant and the client-local date it is for."""

    at: datetime
    local_date: date


def zone(name: str) -> ZoneInfo:
    """The zone for ``name``; :class:`InvalidZoneError` with the reason when unusable."""
    if name in NOT_CLIENT_ZONES:
        raise InvalidZoneError(f"{name!r} is not a client's time zone")
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidZoneError(f"unknown time zone {name!r}") from exc


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``at`` on ``day`` in ``tz``.

    A wall time inside a DST gap maps to the first valid minute after the gap; an
    ambiguous one to its first occurrence (``fold=0``).
    """
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=tz, fold=0)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
        return first.astimezone(UTC)
    return _end_of_gap(wall, tz)


def _end_of_gap(wall: datetime, tz: ZoneInfo) -> datetime:
    # Inside a gap, fold=1 reads the wall time with the offset after the transition and
    # fold=0 with the offset before it, so the transition lies between the two instants.
    # Bisect whole minutes (since the epoch) for the first one with the later offset.
    ends = sorted(wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1))
    low, high = ends[0].timestamp() // 60, -(-ends[1].timestamp() // 60)
    before = _offset_at(low, tz)
    while high - low > 1:
        mid = (low + high) // 2
        if _offset_at(mid, tz) == before:
            low = mid
        else:
            high = mid
    return datetime.fromtimestamp(high * 60, UTC)


def _offset_at(epoch_minute: float, tz: ZoneInfo) -> timedelta | None:
    return datetime.fromtimestamp(epoch_minute * 60, tz).utcoffset()


@lru_cache(maxsize=65536)
def next_fire(zone_name: str, at: time, weekdays: tuple[Weekday, ...], after: datetime) -> Fire:
    """The first fire strictly after ``after`` (aware) of ``at`` on ``weekdays`` in the zone."""
    tz = zone(zone_name)
    start = after.astimezone(tz).date() - timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        day = start + timedelta(days=offset)
        if _WEEKDAYS[day.weekday()] not in weekdays:
            continue
        instant = local_instant(day, at, tz)
        if instant > after:
            return Fire(instant, day)
    raise ValueError(f"no fire within {_SEARCH_DAYS} days for {at} on {weekdays}")


def previous_fire(
    zone_name: str, at: time, weekdays: tuple[Weekday, ...], not_after: datetime
) -> Fire:
    """The last fire at or before ``not_after`` (for coach-level catch-up)."""
    tz = zone(zone_name)
    start = not_after.astimezone(tz).date() + timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        day = start - timedelta(days=offset)
        if _WEEKDAYS[day.weekday()] not in weekdays:
            continue
        instant = local_instant(day, at, tz)
        if instant <= not_after:
            return Fire(instant, day)
    raise ValueError(f"no fire within {_SEARCH_DAYS} days for {at} on {weekdays}")


def local_wall(instant: datetime, zone_name: str) -> datetime:
    """``instant`` on the zone's wall clock (aware), for printing a client's schedule."""
    return instant.astimezone(zone(zone_name))
