"""The exported record: the same entry models the timeline and flag inbox show."""

from __future__ import annotations

from pydantic import BaseModel, Field

from monstercoach_schemas.types import Timestamp

from ..clients.schemas import ClientProfile
from ..flags.schemas import FlagView
from ..schedule.schemas import Override
from ..timeline.schemas import (
    CheckinEntry,
    DeliveryEntry,
    DirectMessageEntry,
    JobCardEntry,
    MealEntry,
    MissedEntry,
    WeightEntry,
    WorkoutEntry,
)


class ScheduleOverrideRow(Override):
    engine: str
    trigger: str


class ClientExport(BaseModel):
    """Everything recorded about one client; every list oldest first."""

    exported_at: Timestamp
    profile: ClientProfile
    schedule_overrides: list[ScheduleOverrideRow]
    checkins: list[CheckinEntry]
    weights: list[WeightEntry]
    meals: list[MealEntry]
    workouts: list[WorkoutEntry]
    job_cards: list[JobCardEntry]
    deliveries: list[DeliveryEntry]
    missed: list[MissedEntry] = Field(description="scheduler fires that became missed")
    messages: list[DirectMessageEntry] = Field(description="free-text DMs from the client")
    flags: list[FlagView]
