"""The timeline's entries: one model per kind, discriminated by ``kind``.

Client-supplied text (notes, meal and workout descriptions, DMs) is returned exactly as
stored; rendering it as text, never HTML, is the dashboard's side of that contract.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, TypeAdapter

from monstercoach_schemas.domain import DeliveryKind, DeliveryStatus, JobCardItemStatus
from monstercoach_schemas.types import Timestamp


class EntryKind(StrEnum):
    CHECKIN = "checkin"
    MEAL = "meal"
    WORKOUT = "workout"
    WEIGHT = "weight"
    JOB_CARD = "job_card"
    DELIVERY = "delivery"
    MISSED = "missed"
    DM = "dm"


class CheckinEntry(BaseModel):
    kind: Literal[EntryKind.CHECKIN] = EntryKind.CHECKIN
    id: UUID
    at: Timestamp = Field(description="when it was answered")
    local_date: date
    weight_kg: float | None
    sleep_hours: float | None
    energy: int | None
    notes: str


class MealEntry(BaseModel):
    kind: Literal[EntryKind.MEAL] = EntryKind.MEAL
    id: UUID
    at: Timestamp = Field(description="when it was logged")
    local_date: date
    description: str
    kcal: int | None
    protein_g: int | None
    carbs_g: int | None
    fat_g: int | None
    photo_url: str | None = Field(description="the photo the client attached, as sent")


class WorkoutEntry(BaseModel):
    kind: Literal[EntryKind.WORKOUT] = EntryKind.WORKOUT
    id: UUID
    at: Timestamp
    local_date: date
    description: str
    duration_min: int | None


class WeightEntry(BaseModel):
    kind: Literal[EntryKind.WEIGHT] = EntryKind.WEIGHT
    id: UUID
    at: Timestamp = Field(description="when it was measured")
    local_date: date
    weight_kg: float


class JobCardItem(BaseModel):
    id: UUID
    position: int
    label: str
    status: JobCardItemStatus
    updated_at: Timestamp | None


class JobCardEntry(BaseModel):
    kind: Literal[EntryKind.JOB_CARD] = EntryKind.JOB_CARD
    id: UUID
    at: Timestamp = Field(description="when it was issued")
    local_date: date
    items: list[JobCardItem]


class DeliveryEntry(BaseModel):
    kind: Literal[EntryKind.DELIVERY] = EntryKind.DELIVERY
    id: UUID
    at: Timestamp = Field(description="when it was asked for")
    delivery_kind: DeliveryKind
    status: DeliveryStatus
    text: str
    attempts: int
    last_error: str | None
    sent_at: Timestamp | None


class MissedEntry(BaseModel):
    """A scheduler fire that became missed (from its ledger)."""

    kind: Literal[EntryKind.MISSED] = EntryKind.MISSED
    id: str = Field(description="`engine.trigger:local_date`, unique per client")
    at: Timestamp = Field(description="when it was scheduled to fire")
    engine: str
    trigger: str
    local_date: date
    reason: str | None
    deadline_at: Timestamp | None


class DirectMessageEntry(BaseModel):
    """A free-text DM the client sent."""

    kind: Literal[EntryKind.DM] = EntryKind.DM
    id: UUID
    at: Timestamp = Field(description="when it was received")
    text: str


TimelineEntry = Annotated[
    CheckinEntry
    | MealEntry
    | WorkoutEntry
    | WeightEntry
    | JobCardEntry
    | DeliveryEntry
    | MissedEntry
    | DirectMessageEntry,
    Field(discriminator="kind"),
]
ENTRY_ADAPTER: TypeAdapter[TimelineEntry] = TypeAdapter(TimelineEntry)


class TimelinePage(BaseModel):
    items: list[TimelineEntry] = Field(description="newest first")
    total: int = Field(ge=0, description="entries of the chosen kinds, over all pages")
    next_before: str | None = Field(
        description="pass as `before` for the next (older) page; null on the last page"
    )
