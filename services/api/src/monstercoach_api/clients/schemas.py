"""Request and response models of the roster and client endpoints."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monstercoach_schemas.domain import ClientStatus, FlagSeverity, Goal, Targets, Weekday
from monstercoach_schemas.types import (
    DiscordId,
    DisplayName,
    Timestamp,
    TimeZoneName,
    WeightKg,
)

from ..compliance.schemas import Compliance, DayCompliance, JobCardProgress
from ..paging import Page, PageQuery


class RosterSort(StrEnum):
    NAME = "name"
    COMPLIANCE_7D = "compliance_7d"
    LAST_ACTIVITY = "last_activity"
    OPEN_FLAGS = "open_flags"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


DEFAULT_ORDER = {
    RosterSort.NAME: SortOrder.ASC,
    # Who needs the coach first: the least compliant, the longest silent, the most flagged.
    RosterSort.COMPLIANCE_7D: SortOrder.ASC,
    RosterSort.LAST_ACTIVITY: SortOrder.ASC,
    RosterSort.OPEN_FLAGS: SortOrder.DESC,
}


class RosterQuery(PageQuery):
    """The roster's query parameters, all in one model: the roster is Battle Station's
    busiest request, and FastAPI's handling of each parameter and dependency apart cost
    more than the page's own work in the api (docs/benchmarks.md)."""

    status: list[ClientStatus] | None = Field(None, description="any of")
    flag_severity: list[FlagSeverity] | None = Field(
        None, description="clients with an unresolved flag of any of these severities"
    )
    time_zone: list[TimeZoneName] | None = Field(None, description="any of")
    q: str | None = Field(
        None, min_length=1, max_length=80, description="part of the name, or a Discord id"
    )
    sort: RosterSort = RosterSort.NAME
    order: SortOrder | None = Field(
        None,
        description="default: name asc, compliance_7d asc, last_activity asc (quietest "
        "first), open_flags desc",
    )


class CheckinToday(StrEnum):
    """Today's check-in in the client's own day."""

    ANSWERED = "answered"
    MISSED = "missed"
    PENDING = "pending"
    """Asked, window still open."""
    NOT_ASKED = "not_asked"
    """No prompt yet today (before the prompt's time, paused, or turned off)."""


class FlagCounts(BaseModel):
    """Unresolved flags (open or acknowledged) by severity."""

    high: int = Field(ge=0)
    medium: int = Field(ge=0)
    low: int = Field(ge=0)


class ClientSummary(BaseModel):
    """One roster row: the client at a glance, as of now in their own time zone."""

    id: UUID
    display_name: str
    discord_user_id: DiscordId
    status: ClientStatus
    time_zone: str
    local_now: Timestamp = Field(description="now on the client's clock, with their offset")
    job_card: JobCardProgress = Field(description="today's card in the client's own day")
    checkin_today: CheckinToday
    compliance_7d: Compliance = Field(description="the last 7 complete local days")
    compliance_daily: list[DayCompliance] = Field(
        description="the same 7 days one by one, oldest first (the sparkline)"
    )
    open_flags: FlagCounts
    last_activity_at: Timestamp | None = Field(
        description="the client's own last action (answer, log, mark, DM)"
    )


class RosterPage(Page[ClientSummary]):
    pass


class ClientProfile(BaseModel):
    id: UUID
    discord_user_id: DiscordId
    display_name: str
    time_zone: str
    status: ClientStatus
    goal: Goal
    goal_weight_kg: float | None
    targets: Targets
    created_at: Timestamp
    updated_at: Timestamp
    last_activity_at: Timestamp | None


class ClientDetail(BaseModel):
    profile: ClientProfile
    summary: ClientSummary
    compliance_28d: Compliance = Field(description="the last 28 complete local days")


class ClientUpdate(BaseModel):
    """Only the fields sent change; inside ``targets`` too, only the targets sent change.
    ``goal_weight_kg: null`` clears the goal weight."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    time_zone: TimeZoneName | None = None
    goal: Goal | None = None
    goal_weight_kg: WeightKg | None = None
    targets: Targets | None = None

    @field_validator("display_name", "time_zone", "goal", "targets")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only the goal weight can be cleared; null anywhere else is a mistake.
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal[ClientStatus.ACTIVE, ClientStatus.PAUSED, ClientStatus.ARCHIVED] = Field(
        description="paused and archived clients get no scheduled DMs; "
        "onboarding is set by the bot only"
    )


def calendar_order(days: list[Weekday]) -> list[Weekday]:
    """Training days once each, Monday first, however the coach listed them."""
    return [day for day in Weekday if day in days]
