"""The vocabulary every engine declares its triggers in: the rows of the LST.

Each engine's declaration module builds one :class:`Engine` out of :class:`Trigger`
rows. The rows are plain frozen data, not behaviour, so that the same declarations drive
the scheduler tick, the api's schedule views and override checks, the per-client
schedule printout and the generated ``docs/LST_Master.md`` — one source, nothing to keep
in sync by hand. What a fire *sends* is the engine's logic and lives in the scheduler
(``monstercoach_scheduler.engines``), bound to these rows by trigger id.

Invariants are checked when a row is built, so a typo in an engine module fails at
import time (and in every test), not at the first tick that reaches it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum

from ..domain import DeliveryKind, Weekday
from ..messages import MESSAGE_TYPES

_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")

EVERY_DAY: tuple[Weekday, ...] = tuple(Weekday)
"""All seven days, in calendar order (Monday first, as ``Weekday`` declares them)."""

DELIVERY_REQUESTED = "delivery.requested"
"""The stream message type that asks the bot to send something to a client."""


def _check_snake_case(what: str, value: str) -> None:
    # Ids end up in ledger keys, metric labels and per-client override rows: keep them
    # to one spelling so they never need quoting or case-folding.
    if not _SNAKE_CASE.fullmatch(value):
        raise ValueError(f"{what} must be snake_case, got {value!r}")


def _check_weekdays(weekdays: tuple[Weekday, ...]) -> None:
    if not weekdays:
        raise ValueError("a timed trigger needs at least one weekday")
    if len(set(weekdays)) != len(weekdays):
        raise ValueError(f"weekdays repeat: {weekdays!r}")


def _check_whole_minute(at: time) -> None:
    # The tick runs once a minute; a time with seconds would silently round.
    if at.second or at.microsecond or at.tzinfo is not None:
        raise ValueError(f"a trigger time is a naive whole minute, got {at!r}")


# --- when a trigger fires -------------------------------------------------------------------


@dataclass(frozen=True)
class _WallClockTime:
    """A whole minute of the day on some wall clock, on ``weekdays``."""

    at: time
    weekdays: tuple[Weekday, ...] = EVERY_DAY

    def __post_init__(self) -> None:
        _check_whole_minute(self.at)
        _check_weekdays(self.weekdays)


@dataclass(frozen=True)
class ClientLocalTime(_WallClockTime):
    """Fires at ``at`` on the client's own wall clock (their IANA zone), on ``weekdays``."""


@dataclass(frozen=True)
class CoachLocalTime(_WallClockTime):
    """Fires at ``at`` on the coach's wall clock, once for the coach, not per client.

    Used by coach-level work such as the weekly scan, which reviews the whole roster at
    a time that suits the coach whatever zones the clients live in.
    """


@dataclass(frozen=True)
class OnEvent:
    """Fires when a stream message of ``message_type`` arrives, not at a time."""

    message_type: str

    def __post_init__(self) -> None:
        if self.message_type not in MESSAGE_TYPES:
            raise ValueError(f"unknown message type {self.message_type!r}")


When = ClientLocalTime | CoachLocalTime | OnEvent


# --- what it produces, and what happens when nobody answers ---------------------------------


@dataclass(frozen=True)
class Emits:
    """The stream message a fire enqueues and, for a delivery, which kind it is."""

    message_type: str
    kind: DeliveryKind | None = None

    def __post_init__(self) -> None:
        if self.message_type not in MESSAGE_TYPES:
            raise ValueError(f"unknown message type {self.message_type!r}")
        # The bot renders a delivery by its kind, so a delivery without one is useless
        # and a kind on anything else would be ignored.
        if (self.message_type == DELIVERY_REQUESTED) != (self.kind is not None):
            raise ValueError(f"a kind is required exactly for {DELIVERY_REQUESTED}")


Deadline = timedelta | time | None
"""How long the answer window stays open.

A ``timedelta`` counts from the fire; a ``time`` is a wall-clock time on the same local
date as the fire (in the same clock as the trigger); ``None`` means no answer is
expected.
"""


class MissedPolicy(StrEnum):
    """What the scheduler does with a fire when its deadline passes (or it runs)."""

    MARK_MISSED = "mark_missed"
    """The fire itself becomes ``status: missed`` if no answer arrived by the deadline."""
    CLOSE_OUT_ITEMS = "close_out_items"
    """Running the trigger turns the day's still-pending job-card items into missed."""
    NONE = "none"
    """Nothing is expected back, so nothing can be missed (undeliverable sends still are)."""

    @property
    def meaning(self) -> str:
        """One line for people (the LST legend); the enum value is for machines."""
        return _MISSED_POLICY_MEANINGS[self]


_MISSED_POLICY_MEANINGS: dict[MissedPolicy, str] = {
    MissedPolicy.MARK_MISSED: "the fire becomes missed if no answer arrived by the deadline",
    MissedPolicy.CLOSE_OUT_ITEMS: "the day's job-card items still pending become missed",
    MissedPolicy.NONE: "no answer is expected; only an undeliverable send is missed",
}


# --- the rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """One row of the LST: when an engine acts, what it emits, and its answer window."""

    engine: str
    trigger: str
    when: When
    emits: Emits
    deadline: Deadline
    missed_policy: MissedPolicy
    description: str
    answered_by: str | None = None
    """The message type that answers this trigger for a client and local date; an answer
    that arrives before the fire means the fire is not sent at all."""

    def __post_init__(self) -> None:
        _check_snake_case("engine id", self.engine)
        if self.answered_by is not None:
            _check_answer_type(self.trigger, self.answered_by)
        _check_snake_case("trigger id", self.trigger)
        if not self.description.strip():
            raise ValueError(f"trigger {self.trigger!r} needs a description")
        if self.missed_policy is MissedPolicy.MARK_MISSED and self.deadline is None:
            # Without a deadline there is no moment at which the fire becomes missed.
            raise ValueError(f"trigger {self.trigger!r}: mark_missed needs a deadline")
        if isinstance(self.deadline, timedelta) and self.deadline <= timedelta(0):
            raise ValueError(f"trigger {self.trigger!r}: deadline must be after the fire")
        if isinstance(self.deadline, time):
            self._check_time_deadline(self.deadline)

    def _check_time_deadline(self, deadline: time) -> None:
        # A time-of-day deadline closes on the fire's own local date, so it only makes
        # sense after a timed fire; an event has no date to pin it to.
        if isinstance(self.when, OnEvent):
            raise ValueError(f"trigger {self.trigger!r}: an event trigger needs a timedelta")
        _check_whole_minute(deadline)
        if deadline <= self.when.at:
            raise ValueError(f"trigger {self.trigger!r}: deadline is not after the fire")


def _check_answer_type(trigger: str, message_type: str) -> None:
    # An answer closes the fire of one client-day, so it must name both.
    cls = MESSAGE_TYPES.get(message_type)
    if cls is None:
        raise ValueError(f"trigger {trigger!r}: unknown answer type {message_type!r}")
    payload = cls.model_fields["payload"].annotation
    fields = getattr(payload, "model_fields", {})
    if not {"client_id", "local_date"} <= set(fields):
        raise ValueError(f"trigger {trigger!r}: {message_type} names no client-day")


@dataclass(frozen=True)
class Engine:
    """One module of coaching logic and the triggers it declares."""

    id: str
    description: str
    triggers: tuple[Trigger, ...]

    def __post_init__(self) -> None:
        _check_snake_case("engine id", self.id)
        if not self.triggers:
            raise ValueError(f"engine {self.id!r} declares no trigger")
        for trigger in self.triggers:
            if trigger.engine != self.id:
                raise ValueError(f"trigger {trigger.trigger!r} names engine {trigger.engine!r}")
        ids = [trigger.trigger for trigger in self.triggers]
        if len(set(ids)) != len(ids):
            raise ValueError(f"engine {self.id!r} repeats a trigger id: {ids!r}")
