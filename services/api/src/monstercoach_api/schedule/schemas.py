"""Request and response models of the schedule endpoints."""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    field_validator,
)

from monstercoach_schemas.domain import ClientStatus, DeliveryKind, Weekday
from monstercoach_schemas.types import Timestamp

from ..paging import Page

# [0-9], not \d: Python's \d also matches other scripts' digits, JSON Schema's does not.
WALL_CLOCK_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
_WALL_CLOCK = re.compile(WALL_CLOCK_PATTERN)
_NOT_WALL_CLOCK = "must be a local wall-clock time, HH:MM or HH:MM:SS, without an offset"


def _wall_clock(value: Any) -> time:
    if isinstance(value, str):
        if _WALL_CLOCK.fullmatch(value) is None:
            raise ValueError(_NOT_WALL_CLOCK)
        return time.fromisoformat(value)
    # A time from the LST or a database row: only one the wire format can carry as it is.
    if isinstance(value, time) and value.tzinfo is None and not value.microsecond:
        return value
    raise ValueError(_NOT_WALL_CLOCK)


WallClock = Annotated[
    time,
    PlainValidator(_wall_clock),
    PlainSerializer(lambda value: value.strftime("%H:%M:%S"), return_type=str, when_used="json"),
    # Not JSON Schema's ``format: time``: that is RFC 3339's full-time, which requires an
    # offset, and these times are on a client's (or the coach's) own clock, whatever its zone.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": WALL_CLOCK_PATTERN,
            "description": "local wall-clock time, HH:MM[:SS]",
        }
    ),
]
"""A time of day on someone's wall clock: accepted as HH:MM or HH:MM:SS, sent as HH:MM:SS."""


class Clock(StrEnum):
    CLIENT_LOCAL = "client_local"
    """Fires per client at a time on the client's own clock (overridable per client)."""
    COACH_LOCAL = "coach_local"
    """Fires once, on the coach's clock."""
    EVENT = "event"
    """Fires when a stream message arrives."""


class LstTrigger(BaseModel):
    """One row of the LST, as the scheduler declares it."""

    engine: str
    trigger: str
    clock: Clock
    at: WallClock | None = Field(description="wall-clock time of a timed trigger")
    weekdays: list[Weekday] = Field(description="days a timed trigger fires on")
    on_event: str | None = Field(description="message type an event trigger waits for")
    when: str = Field(description="as docs/LST_Master.md words it")
    emits: str = Field(description="the stream message type a fire publishes")
    delivery_kind: DeliveryKind | None
    deadline: str = Field(description="the answer window, as docs/LST_Master.md words it")
    deadline_at: WallClock | None = Field(description="a same-day wall-clock deadline")
    deadline_minutes: int | None = Field(description="a deadline counted from the fire")
    missed_policy: str
    missed_policy_meaning: str
    answered_by: str | None
    description: str


class LstEngine(BaseModel):
    id: str
    description: str
    triggers: list[LstTrigger]


class Lst(BaseModel):
    engines: list[LstEngine]


def _whole_minute(value: time | None) -> time | None:
    # The tick runs once a minute: a time with seconds could never fire as written.
    if value is not None and value.second:
        raise ValueError("must be a whole minute of the client's wall clock, e.g. 07:30")
    return value


class OverrideRequest(BaseModel):
    """A client's change to one trigger; a field left out (or null) keeps the LST's."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="false turns the trigger off")
    local_time: WallClock | None = Field(default=None, description="HH:MM on the client's clock")
    weekdays: Annotated[list[Weekday], Field(min_length=1, max_length=7)] | None = None

    _minute = field_validator("local_time")(_whole_minute)

    @field_validator("weekdays")
    @classmethod
    def _once_each(cls, days: list[Weekday] | None) -> list[Weekday] | None:
        if days is not None and len(set(days)) != len(days):
            raise ValueError("each weekday at most once")
        return None if days is None else [day for day in Weekday if day in days]


class Override(BaseModel):
    enabled: bool
    local_time: WallClock | None
    weekdays: list[Weekday] | None
    updated_at: Timestamp


class NextFire(BaseModel):
    at: Timestamp = Field(description="the instant, in UTC")
    local: Timestamp = Field(description="the same instant on the client's clock")
    local_date: date = Field(description="the client-local day the fire is for")
    deadline_at: Timestamp | None = Field(description="when its answer window closes, UTC")
    deadline_local: Timestamp | None


class ScheduleEntry(BaseModel):
    """One client-local trigger for one client: the LST's default, the coach's override,
    what is in effect, and the next fire."""

    engine: str
    trigger: str
    description: str
    default_time: WallClock
    default_weekdays: list[Weekday]
    override: Override | None
    enabled: bool
    local_time: WallClock | None = Field(description="in effect; null when turned off")
    weekdays: list[Weekday]
    next_fire: NextFire | None = Field(
        description="null when turned off, when the client is not active, or on a problem"
    )
    problem: str | None = Field(description="why this schedule cannot run, if it cannot")


class ClientSchedule(BaseModel):
    client_id: UUID
    time_zone: str
    status: ClientStatus
    fires: bool = Field(description="only active clients get scheduled fires")
    local_now: Timestamp
    entries: list[ScheduleEntry]


class UpcomingFire(BaseModel):
    """A fire the scheduler has planned (its next_fires table)."""

    client_id: UUID
    display_name: str
    time_zone: str
    engine: str
    trigger: str
    at: Timestamp
    local: Timestamp
    local_date: date


class UpcomingPage(Page[UpcomingFire]):
    pass
