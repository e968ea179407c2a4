"""The coaching domain: clients and everything logged about them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from .types import (
    DiscordId,
    DisplayName,
    Energy,
    Grams,
    IsoWeek,
    Kcal,
    MessageText,
    Notes,
    ShortText,
    SleepHours,
    Timestamp,
    TimeZoneName,
    WeightKg,
)


class Model(BaseModel):
    """Base for every shared model: unknown fields are an error, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ClientStatus(StrEnum):
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


NOT_REACHABLE = (ClientStatus.PAUSED, ClientStatus.ARCHIVED)
"""Clients their coach's messages do not reach: Battle Station's (the api answers 409)
and the bot's /nudge alike."""


class Goal(StrEnum):
    FAT_LOSS = "fat_loss"
    MUSCLE_GAIN = "muscle_gain"
    RECOMP = "recomp"
    MAINTENANCE = "maintenance"
    PERFORMANCE = "performance"


class WeightUnit(StrEnum):
    KG = "kg"
    LB = "lb"


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class Targets(Model):
    """Daily targets the coach sets for a client."""

    kcal: Kcal = 2200
    protein_g: Grams = 150
    carbs_g: Grams = 220
    fat_g: Grams = 70
    steps: Annotated[int, Field(ge=0, le=100_000)] = 8000
    water_ml: Annotated[int, Field(ge=0, le=10_000)] = 2500
    training_days: Annotated[
        list[Weekday], Field(max_length=7, description="days the client trains")
    ] = [Weekday.MON, Weekday.WED, Weekday.FRI]


class Client(Model):
    id: UUID
    discord_user_id: DiscordId
    display_name: DisplayName
    time_zone: TimeZoneName
    status: ClientStatus = ClientStatus.ACTIVE
    goal: Goal = Goal.FAT_LOSS
    goal_weight_kg: WeightKg | None = None
    targets: Targets = Targets()
    created_at: Timestamp


class CheckIn(Model):
    id: UUID
    client_id: UUID
    local_date: date
    weight_kg: WeightKg | None = None
    sleep_hours: SleepHours | None = None
    energy: Energy | None = None
    notes: Notes = ""
    answered_at: Timestamp


class MealLog(Model):
    id: UUID
    client_id: UUID
    description: ShortText
    kcal: Kcal | None = None
    protein_g: Grams | None = None
    carbs_g: Grams | None = None
    fat_g: Grams | None = None
    photo_url: AnyHttpUrl | None = None
    logged_at: Timestamp


class WorkoutLog(Model):
    id: UUID
    client_id: UUID
    description: ShortText
    duration_min: Annotated[int, Field(ge=1, le=600)] | None = None
    logged_at: Timestamp


class WeightEntry(Model):
    id: UUID
    client_id: UUID
    weight_kg: WeightKg
    measured_at: Timestamp


class JobCardItemStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    MISSED = "missed"


class JobCardItem(Model):
    id: UUID
    position: Annotated[int, Field(ge=0, le=50)]
    label: Annotated[str, Field(min_length=1, max_length=120)]
    status: JobCardItemStatus = JobCardItemStatus.PENDING
    updated_at: Timestamp | None = None


class JobCard(Model):
    id: UUID
    client_id: UUID
    local_date: date
    items: Annotated[list[JobCardItem], Field(max_length=25)]
    issued_at: Timestamp


class FlagSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class FlagStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class FlagSource(StrEnum):
    RULES = "rules"
    DSPY = "dspy"
    SYSTEM = "system"


class FlagCode(StrEnum):
    LOW_CHECKIN_RATE = "LOW_CHECKIN_RATE"
    JOBCARD_SLIPPING = "JOBCARD_SLIPPING"
    LOW_MEAL_LOGGING = "LOW_MEAL_LOGGING"
    UNDER_EATING = "UNDER_EATING"
    OVER_EATING = "OVER_EATING"
    PROTEIN_SHORT = "PROTEIN_SHORT"
    WEIGHT_STALL = "WEIGHT_STALL"
    WEIGHT_WRONG_WAY = "WEIGHT_WRONG_WAY"
    GONE_QUIET = "GONE_QUIET"
    MISSED_STREAK = "MISSED_STREAK"
    RECON_NUTRITION = "RECON_NUTRITION"
    RECON_TRAINING = "RECON_TRAINING"
    RECON_CHECKIN = "RECON_CHECKIN"
    INJURY_MENTIONED = "INJURY_MENTIONED"
    BURNOUT_RISK = "BURNOUT_RISK"
    COACH_ATTENTION = "COACH_ATTENTION"
    SCHEDULE_INVALID = "SCHEDULE_INVALID"
    DELIVERY_BLOCKED = "DELIVERY_BLOCKED"


class Evidence(Model):
    """One fact behind a flag: a named figure and, where there is one, the rows behind it."""

    label: Annotated[str, Field(min_length=1, max_length=200)]
    value: float | str | None = None
    target: float | str | None = None
    refs: Annotated[list[str], Field(max_length=50)] = []


class Flag(Model):
    id: UUID
    client_id: UUID
    iso_week: IsoWeek
    code: FlagCode
    severity: FlagSeverity
    source: FlagSource
    evidence: Annotated[list[Evidence], Field(max_length=20)] = []
    rationale: Notes = ""
    suggested_action: Notes = ""
    status: FlagStatus = FlagStatus.OPEN
    created_at: Timestamp


class DeliveryKind(StrEnum):
    JOBCARD = "jobcard"
    CHECKIN_PROMPT = "checkin_prompt"
    MEAL_REMINDER = "meal_reminder"
    JOBCARD_CLOSEOUT = "jobcard_closeout"
    NUDGE = "nudge"
    COACH_RELAY = "coach_relay"
    COACH_DIGEST = "coach_digest"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    MISSED = "missed"
    DRY_RUN = "dry_run"


class Delivery(Model):
    id: UUID
    client_id: UUID | None = None
    recipient_discord_id: DiscordId
    kind: DeliveryKind
    text: MessageText
    status: DeliveryStatus = DeliveryStatus.QUEUED
    attempts: Annotated[int, Field(ge=0, le=100)] = 0
    last_error: Annotated[str, Field(max_length=2000)] | None = None
    created_at: Timestamp
    sent_at: Timestamp | None = None


class FireStatus(StrEnum):
    FIRED = "fired"
    ENQUEUED = "enqueued"
    ANSWERED = "answered"
    MISSED = "missed"


class TriggerFire(Model):
    """One row of the scheduler's ledger: a trigger fired (or was missed) for a client-day."""

    engine: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    trigger: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")]
    client_id: UUID
    local_date: date
    scheduled_for: Timestamp
    fired_at: Timestamp | None = None
    status: FireStatus = FireStatus.FIRED
    reason: Annotated[str, Field(max_length=500)] | None = None
    deadline_at: Timestamp | None = None
    reported_at: Timestamp | None = Field(
        default=None, description="when the fire.missed event for a missed fire was published"
    )


class DirectMessage(Model):
    """A free-text DM from a client, relayed to the coach."""

    id: UUID
    client_id: UUID
    text: MessageText
    received_at: Timestamp


JsonObject = dict[str, Any]
