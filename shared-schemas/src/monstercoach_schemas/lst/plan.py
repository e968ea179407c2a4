"""A client's effective schedule: the LST's defaults with the coach's overrides applied.

Shared by the tick (next fires), ``monstercoach schedule`` (the printout) and the sync
that follows client changes, so all three always agree on when a client's trigger fires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from ..domain import Weekday
from .base import ClientLocalTime, CoachLocalTime, Trigger
from .registry import all_triggers
from .timing import Fire, InvalidScheduleError, local_instant, next_fire, zone


@dataclass(frozen=True)
class Override:
    """One row of ``schedule_overrides``; ``None`` fields keep the LST's default."""

    enabled: bool = True
    local_time: time | None = None
    weekdays: tuple[Weekday, ...] | None = None


def client_triggers() -> tuple[Trigger, ...]:
    """Triggers that fire per client on the client's clock."""
    return tuple(t for t in all_triggers() if isinstance(t.when, ClientLocalTime))


def coach_triggers() -> tuple[Trigger, ...]:
    """Triggers that fire once, on the coach's clock."""
    return tuple(t for t in all_triggers() if isinstance(t.when, CoachLocalTime))


CLIENT_TRIGGERS = {(t.engine, t.trigger): t for t in client_triggers()}


def effective_when(trigger: Trigger, override: Override | None) -> ClientLocalTime | None:
    """When ``trigger`` fires for a client with ``override``; ``None`` when turned off."""
    if not isinstance(trigger.when, ClientLocalTime):
        raise ValueError(f"{trigger.engine}.{trigger.trigger} is not a client-local trigger")
    if override is None:
        return trigger.when
    if not override.enabled:
        return None
    at = override.local_time or trigger.when.at
    if isinstance(trigger.deadline, time) and at >= trigger.deadline:
        raise InvalidScheduleError(
            f"{trigger.engine}.{trigger.trigger} moved to {at:%H:%M}, not before its "
            f"{trigger.deadline:%H:%M} deadline"
        )
    return ClientLocalTime(at, override.weekdays or trigger.when.weekdays)


def next_client_fire(
    trigger: Trigger, zone_name: str, override: Override | None, after: datetime
) -> Fire | None:
    """The client's next fire of ``trigger`` strictly after ``after``; ``None`` when off.

    Raises :class:`~.timing.InvalidScheduleError` for a zone or override that cannot be used.
    """
    when = effective_when(trigger, override)
    if when is None:
        zone(zone_name)  # a turned-off trigger still reports a broken zone
        return None
    return next_fire(zone_name, when.at, when.weekdays, after)


def deadline_at(trigger: Trigger, fire: Fire, zone_name: str) -> datetime | None:
    """When the answer window of ``fire`` closes (UTC), if the trigger has one."""
    deadline = trigger.deadline
    if deadline is None:
        return None
    if isinstance(deadline, timedelta):
        return fire.at + deadline
    # A fire moved forward by a DST gap can pass a deadline close behind it; the window
    # then closes at the fire rather than before it.
    return max(local_instant(fire.local_date, deadline, zone(zone_name)), fire.at)


def weekdays_of(values: Sequence[str] | None) -> tuple[Weekday, ...] | None:
    return None if values is None else tuple(Weekday(v) for v in values)
