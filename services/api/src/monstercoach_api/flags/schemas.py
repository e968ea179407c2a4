"""Request and response models of the flag endpoints."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from monstercoach_schemas.domain import (
    Evidence,
    FlagCode,
    FlagSeverity,
    FlagSource,
    FlagStatus,
)
from monstercoach_schemas.types import IsoWeek, Timestamp

from ..paging import Page


class FlagView(BaseModel):
    id: UUID
    client_id: UUID
    client_display_name: str
    iso_week: str
    code: FlagCode
    severity: FlagSeverity
    source: FlagSource = Field(description="rules, dspy (AI) or system; recon codes: RECON_*")
    evidence: list[Evidence]
    rationale: str
    suggested_action: str
    status: FlagStatus
    status_note: str | None = Field(description="the coach's note when resolving")
    created_at: Timestamp
    updated_at: Timestamp


class FlagPage(Page[FlagView]):
    pass


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Stored as typed: the note is the coach's own words, shown back verbatim.
    note: Annotated[str, Field(min_length=1, max_length=2000)]


class ScanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: UUID | None = Field(default=None, description="one client; all when left out")
    iso_week: IsoWeek | None = Field(default=None, description="default: this week (UTC)")


class ScanQueued(BaseModel):
    message_id: UUID = Field(description="the scan.requested message's id")
    iso_week: str
    client_id: UUID | None
